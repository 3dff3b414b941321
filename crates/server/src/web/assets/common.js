// reelshare web app: what every page's scripts share. `api` calls the JSON APIs with the
// session cookie and, for unsafe methods, the page's CSRF token (the server accepts the
// cookie on those only with it). No library; no build step.
"use strict";
window.reelshare = (function () {
  const meta = (name) => {
    const el = document.querySelector(`meta[name="${name}"]`);
    return el ? el.content : null;
  };
  const csrf = meta("csrf-token");
  const userId = meta("user-id");

  // A stable anonymous viewer id for watch reports when signed out.
  function viewerId() {
    let id = localStorage.getItem("reelshare.viewer");
    if (!id) {
      id = "w" + Math.random().toString(36).slice(2) + Date.now().toString(36);
      localStorage.setItem("reelshare.viewer", id);
    }
    return id;
  }

  function headers(method, extra) {
    const h = Object.assign({}, extra || {});
    if (csrf && method !== "GET" && method !== "HEAD") h["X-CSRF-Token"] = csrf;
    if (!userId) h["X-Viewer-Id"] = viewerId();
    return h;
  }

  async function api(method, path, body, options) {
    const init = { method, credentials: "same-origin", headers: headers(method), ...(options || {}) };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) data = await response.json();
    if (!response.ok) {
      const detail = data && (data.detail || data.error);
      const message = typeof detail === "string" ? detail : (detail ? JSON.stringify(detail) : response.statusText);
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child.nodeType ? child : String(child));
    }
    return node;
  }

  return { api, headers, el, csrf, userId, signedIn: !!userId };
})();
