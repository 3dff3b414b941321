// The studio: upload (tus 1.0 at /tus/, in chunks, with a progress bar from XHR upload
// progress events; the upload's URL is remembered in localStorage under the file's name, size
// and modification time, so a dropped connection is retried from the server's offset and a
// reload resumes with the same file), then the processing state, polled live until ready or
// failed; and the creator's own videos: edit, publish, privacy, delete.
"use strict";
(function () {
  const { api, el, headers } = window.reelshare;
  // Bytes per PATCH: the page's data-chunk-bytes (the server's choice), read at each upload.
  const chunkBytes = () => Number(document.getElementById("upload").dataset.chunkBytes) || 4 * 1024 * 1024;
  const TUS = { "Tus-Resumable": "1.0.0" };
  const $ = (id) => document.getElementById(id);
  const fileInput = $("file"), drop = $("drop"), bar = $("progress-bar"), barText = $("progress-text");
  const progress = $("progress"), status = $("upload-status"), list = $("my-videos");
  let busy = false;
  const watching = new Set(); // hash ids we wait on
  const intended = new Map(); // hash id → the title and description typed for it

  const b64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
  const keyOf = (file) => `reelshare.tus:${file.name}:${file.size}:${file.lastModified}`;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function setProgress(done, total) {
    const pct = total ? Math.floor((done / total) * 100) : 0;
    bar.value = pct;
    barText.textContent = `${pct} %`;
  }

  // One XHR, as a promise of {status, header(name)}; progress events go to onProgress.
  function xhr(method, url, hdrs, body, onProgress) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open(method, url);
      for (const [k, v] of Object.entries(hdrs)) x.setRequestHeader(k, v);
      if (onProgress) x.upload.onprogress = (e) => onProgress(e.loaded);
      x.onload = () => resolve({ status: x.status, header: (n) => x.getResponseHeader(n), text: x.responseText });
      x.onerror = () => reject(new Error("network error"));
      x.ontimeout = () => reject(new Error("timed out"));
      x.onabort = () => reject(new Error("aborted"));
      x.send(body);
    });
  }

  async function create(file, title, description) {
    const meta = [`filename ${b64(file.name)}`, `filetype ${b64(file.type || "video/mp4")}`];
    if (title) meta.push(`title ${b64(title)}`);
    if (description) meta.push(`description ${b64(description)}`);
    const r = await xhr("POST", "/tus/", { ...headers("POST"), ...TUS,
      "Upload-Length": String(file.size), "Upload-Metadata": meta.join(",") }, null);
    if (r.status !== 201) {
      const e = new Error(`the server refused the upload (${r.status}) ${r.text || ""}`.trim());
      e.status = r.status;
      throw e;
    }
    return r.header("Location");
  }

  async function offsetOf(url) {
    const r = await xhr("HEAD", url, { ...headers("HEAD"), ...TUS }, null);
    if (r.status === 200 || r.status === 204) return Number(r.header("Upload-Offset"));
    return null; // gone: expired or finished
  }

  async function tusUpload(file, title, description) {
    const key = keyOf(file);
    let url = localStorage.getItem(key);
    let offset = null;
    if (url) {
      try { offset = await offsetOf(url); } catch (_) { offset = null; }
      if (offset !== null) {
        status.textContent = `Resuming at ${Math.floor((offset / file.size) * 100)} %`;
        progress.dataset.resumedAt = String(offset);
      }
    }
    if (offset === null) {
      url = await create(file, title, description);
      localStorage.setItem(key, url);
      offset = 0;
    }
    let failures = 0;
    for (;;) {
      setProgress(offset, file.size);
      const end = Math.min(file.size, offset + chunkBytes());
      try {
        const r = await xhr("PATCH", url, { ...headers("PATCH"), ...TUS,
          "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" },
          file.slice(offset, end), (loaded) => setProgress(offset + loaded, file.size));
        if (r.status === 204 || r.status === 200) {
          offset = Number(r.header("Upload-Offset"));
          failures = 0;
          const id = r.header("Reelshare-Video-Id");
          if (offset >= file.size) { localStorage.removeItem(key); setProgress(offset, file.size); return id; }
          continue;
        }
        if (r.status === 404 || r.status === 410) { localStorage.removeItem(key); throw new Error("the upload expired; start again"); }
        if (r.status >= 400 && r.status < 500 && r.status !== 409 && r.status !== 408 && r.status !== 423 && r.status !== 429) {
          localStorage.removeItem(key);
          throw new Error(`the server refused the upload (${r.status}) ${r.text || ""}`.trim());
        }
      } catch (e) {
        if (e.message.startsWith("the ")) throw e;
      }
      // Dropped or refused for now: wait, ask the server where it is, go on from there.
      failures += 1;
      progress.dataset.retries = String(Number(progress.dataset.retries || 0) + 1);
      if (failures > 30) throw new Error("the connection keeps failing; pick the file again to resume");
      status.textContent = `Connection lost, retrying (${failures})…`;
      await sleep(Math.min(10000, 500 * 2 ** Math.min(failures, 5)));
      try { const o = await offsetOf(url); if (o !== null) offset = o; } catch (_) { /* still down */ }
    }
  }

  // Without a tus endpoint on this server (404/405 on create): the Video API's signed form
  // post, with the same progress bar but no resuming.
  async function formUpload(file) {
    const type = file.type || "video/mp4";
    const form = await api("GET", `/video/upload/?file_name=${encodeURIComponent(file.name)}&file_content_type=${encodeURIComponent(type)}`);
    const body = new FormData();
    for (const [k, v] of Object.entries(form.signatures)) body.append(k, v);
    body.append("file", file);
    const r = await xhr("POST", form.url, headers("POST"), body, (loaded) => setProgress(Math.min(loaded, file.size), file.size));
    if (r.status >= 300) throw new Error(`the server refused the upload (${r.status}) ${r.text || ""}`.trim());
    setProgress(file.size, file.size);
    return form.signatures.key;
  }

  async function start(file) {
    if (busy || !file) return;
    busy = true;
    progress.hidden = false;
    setProgress(0, file.size);
    status.textContent = `Uploading ${file.name}…`;
    try {
      let id;
      const title = $("upload-title").value.trim(), description = $("upload-description").value.trim();
      try {
        id = await tusUpload(file, title, description);
        progress.dataset.via = "tus";
      } catch (e) {
        if (e.status !== 404 && e.status !== 405) throw e;
        id = await formUpload(file);
        progress.dataset.via = "form";
      }
      status.textContent = "Uploaded. Processing…";
      if (id) { watching.add(id); if (title || description) intended.set(id, { title, description }); }
      $("upload-title").value = "";
      $("upload-description").value = "";
      await refresh();
    } catch (e) {
      status.textContent = `Upload failed: ${e.message}`;
    } finally {
      busy = false;
      fileInput.value = "";
    }
  }

  fileInput.addEventListener("change", () => start(fileInput.files[0]));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); start(e.dataTransfer.files[0]); });

  // My videos.
  function stateOf(v) {
    if (v.failure_reason) return ["failed", `failed: ${v.failure_reason}`];
    if (v.failure_reason === null && v.title === undefined) return ["processing", "processing"];
    return v.listing_time ? ["ready", "listed"] : ["draft", "draft"];
  }

  function item(v) {
    const [cls, label] = stateOf(v);
    const processed = v.title !== undefined;
    const thumb = processed ? el("img", { src: v.thumbnail_url, alt: "", loading: "lazy" }) : el("div", { class: "nothumb" });
    const buttons = el("div", { class: "buttons" });
    const editBox = el("div", { class: "edit", hidden: true });
    const node = el("li", { "data-hash-id": v.hash_id, "data-state": cls }, thumb,
      el("div", { class: "meta" },
        el("div", {}, el("span", { class: `state ${cls}` }, label),
          processed ? el("span", { class: "state" }, v.is_private ? "private" : "public") : null),
        el("strong", { class: "title" }, processed ? v.title : v.file_name),
        processed && v.description ? el("p", { class: "description" }, v.description) : null,
        buttons, editBox));
    if (processed) {
      const isDraft = !v.listing_time;
      buttons.append(el("button", { type: "button", class: "secondary edit-button",
        onclick: () => { editBox.hidden = !editBox.hidden; } }, isDraft ? "Publish…" : "Edit"));
      // A draft's form starts from what was typed at upload (the signed-form path cannot
      // carry it), else from the stored values.
      const want = (isDraft && intended.get(v.hash_id)) || {};
      const title = el("input", { value: want.title || v.title, maxlength: "150", "aria-label": "Title", class: "edit-title" });
      const description = el("textarea", { rows: "2", maxlength: "5000", "aria-label": "Description", class: "edit-description" });
      description.value = want.description || v.description;
      const priv = el("input", { type: "checkbox", class: "edit-private" });
      priv.checked = v.is_private;
      editBox.append(title, description, el("label", {}, priv, " Private"),
        el("button", { type: "button", class: isDraft ? "publish" : "save", onclick: async () => {
          await change(v, { title: title.value, description: description.value, is_private: priv.checked });
        } }, isDraft ? "Publish" : "Save"));
      if (!isDraft) {
        buttons.append(el("button", { type: "button", class: "secondary privacy",
          onclick: () => change(v, { is_private: !v.is_private }) }, v.is_private ? "Make public" : "Make private"));
        buttons.append(el("a", { class: "button secondary", href: `/app/v/${v.hash_id}` }, "View"));
        buttons.append(el("a", { class: "button secondary analytics", href: `/app/studio/v/${v.hash_id}` }, "Analytics"));
      }
    }
    buttons.append(el("button", { type: "button", class: "secondary delete", disabled: cls === "processing",
      title: cls === "processing" ? "Wait until processing ends" : "", onclick: () => remove(v) }, "Delete"));
    return node;
  }

  async function change(v, body) {
    try {
      await api("PUT", `/video/my/${v.hash_id}`, body);
      status.textContent = v.listing_time ? "Saved." : `“${body.title || v.title}” is published.`;
      await refresh();
    }
    catch (e) { alert(e.message); }
  }

  async function remove(v) {
    if (!confirm(`Delete “${v.title || v.file_name}”? This cannot be undone.`)) return;
    try { await api("DELETE", `/video/my/${v.hash_id}`); await refresh(); }
    catch (e) { alert(e.message); }
  }

  let timer = null;
  async function refresh() {
    clearTimeout(timer);
    let data;
    try { data = await api("GET", "/video/my/"); } catch (e) { status.textContent = e.message; return; }
    const all = [...data.unprocessed_videos, ...data.videos];
    list.replaceChildren(...all.map(item));
    $("my-empty").hidden = all.length > 0;
    for (const id of [...watching]) {
      const u = data.unprocessed_videos.find((v) => v.hash_id === id);
      const ready = data.videos.find((v) => v.hash_id === id);
      if (ready) { watching.delete(id); status.textContent = `“${ready.title}” is ready. Publish it below.`; }
      else if (u && u.failure_reason) { watching.delete(id); status.textContent = `Processing failed: ${u.failure_reason}`; }
    }
    const pending = data.unprocessed_videos.some((v) => !v.failure_reason) || watching.size > 0;
    if (pending) timer = setTimeout(refresh, 1500);
  }

  refresh();
})();
