// The feed: one vertical video at a time. Native scroll snapping gives swipe and wheel; arrow
// keys (and j/k) move too. The video in view plays muted and loops (tap to unmute); the next
// ones are loaded ahead so a swipe starts playing at once (player.js: HLS natively or through
// hls.js where the video has it, else the MP4). Each time a video is in view is one
// watch session, reported to /video/{id}/views when the viewer moves on, leaves the page, or
// the video completes a loop (a watch of 3 s or more is a qualified view on the server).
"use strict";
(function () {
  const { api, el, signedIn, player } = window.reelshare;
  const feed = document.getElementById("feed");
  const empty = document.getElementById("feed-empty");
  const slides = [];
  let current = -1;
  let next = null;
  let loadingPage = false;
  let exhausted = false;
  let muted = true;

  const newSession = () => "s" + Math.random().toString(36).slice(2) + Date.now().toString(36);

  async function loadPage() {
    if (loadingPage || exhausted) return;
    loadingPage = true;
    try {
      const query = next ? `?next=${encodeURIComponent(next)}` : "";
      const page = await api("GET", `/video/explore/${query}`);
      next = page.next;
      exhausted = !next;
      page.videos.forEach(addSlide);
      if (!slides.length) empty.hidden = false;
      if (current < 0 && slides.length) observeAll();
    } catch (e) {
      console.error("feed", e);
    } finally {
      loadingPage = false;
    }
  }

  // Icons as SVG paths (emoji fonts are not everywhere).
  const ICONS = {
    heart: "M12 21s-7.5-4.6-9.6-9.1C1 8.6 3 5 6.5 5c2 0 3.5 1.2 4.5 2.6C12 6.2 13.5 5 15.5 5 19 5 21 8.6 19.6 11.9 17.5 16.4 12 21 12 21z",
    comment: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    share: "M14 4l7 7-7 7v-4c-5 0-8.5 1.5-11 5 1-5 4-10 11-11V4z",
  };
  function icon(name) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  function count(n) { return n >= 1e6 ? (n / 1e6).toFixed(1) + "M" : n >= 1e3 ? (n / 1e3).toFixed(1) + "k" : String(n); }

  function addSlide(record) {
    const video = el("video", { muted: true, loop: true, playsinline: true, preload: "none",
      poster: record.thumbnail_url, "aria-label": record.title });
    video.muted = true;
    const likes = el("span", { class: "count" }, "·");
    const comments = el("span", { class: "count" }, "·");
    const shares = el("span", { class: "count" }, "·");
    const like = el("button", { class: "like", "aria-pressed": "false", "aria-label": "Like" }, icon("heart"), likes);
    const comment = el("button", { class: "comment", "aria-label": "Comments" }, icon("comment"), comments);
    const share = el("button", { class: "share", "aria-label": "Share" }, icon("share"), shares);
    const creator = el("a", { class: "creator" }, "");
    const unmute = el("button", { class: "unmute", type: "button" }, "Tap to unmute");
    const node = el("article", { class: "slide", "data-hash-id": record.hash_id },
      video, unmute,
      el("div", { class: "info" }, el("p", { class: "title" }, record.title), creator),
      el("div", { class: "actions" }, like, comment, share));
    const slide = { record, node, video, like, likes, comments, shares, creator, unmute,
      watching: null, player: null, social: null, session: null, watched: 0, lastTime: null };
    slides.push(slide);
    feed.append(node);

    video.addEventListener("click", toggleMute);
    unmute.addEventListener("click", toggleMute);
    video.addEventListener("timeupdate", () => track(slide));
    like.addEventListener("click", () => toggleLike(slide));
    comment.addEventListener("click", () => openComments(slide));
    share.addEventListener("click", () => doShare(slide));
    if (observer) observer.observe(node);
  }

  function toggleMute() {
    muted = !muted;
    for (const s of slides) { s.video.muted = muted; s.unmute.hidden = !muted; }
    const s = slides[current];
    if (s && s.video.paused) s.video.play().catch(() => {});
  }

  // Fetches a slide's watch link once, then gives it a player (player.js) while it is near
  // the current one: the MP4 or the browser's own HLS for the next two (as `preload`), but
  // hls.js, which buffers through MediaSource in this page, for the next one only and only a
  // few seconds of it; players more than one slide away are released when the feed moves on.
  function ensureLoaded(slide) {
    if (!slide.watching) {
      const r = slide.record;
      slide.watching = api("GET", `/video/watch/?user_id=${encodeURIComponent(r.user_id)}&hash_id=${encodeURIComponent(r.hash_id)}`);
      slide.watching.catch((e) => { slide.watching = null; console.error("watch", e); });
      refreshSocial(slide);
    }
    slide.watching.then((watch) => place(slide, watch), () => {});
  }

  function place(slide, watch) {
    const distance = slides.indexOf(slide) - current;
    if (slide.player) {
      if (distance === 0) slide.player.full();
    } else {
      const reach = player.mode(slide.video, watch) === "hls.js" ? 1 : 2;
      if (distance < 0 || distance > reach) return;
      slide.video.preload = "auto";
      slide.player = player.attach(slide.video, watch, { ahead: distance > 0 });
    }
    if (distance === 0) slide.video.play().catch(() => {});
  }

  function release(index) {
    slides.forEach((s, i) => {
      if (s.player && s.player.mode === "hls.js" && Math.abs(i - index) > 1) {
        s.player.destroy();
        s.player = null;
      }
    });
  }

  async function refreshSocial(slide) {
    try {
      const s = await api("GET", `/app/api/videos/${slide.record.hash_id}/social`);
      slide.social = s;
      slide.likes.textContent = count(s.likes);
      slide.comments.textContent = count(s.comments);
      slide.shares.textContent = count(s.shares);
      slide.like.setAttribute("aria-pressed", String(s.liked));
      slide.creator.textContent = "@" + s.creator_name;
      slide.creator.href = `/app/u/${s.creator_user_id}`;
    } catch (e) { console.error("social", e); }
  }

  // Watch time: only while playing, in small steps (a seek is not watching).
  function track(slide) {
    if (!slide.session) return;
    const t = slide.video.currentTime;
    if (slide.lastTime !== null) {
      const d = t - slide.lastTime;
      if (d > 0 && d < 1.5) slide.watched += d;
      else if (d < -1) { report(slide); startSession(slide); }
    }
    slide.lastTime = t;
  }

  function startSession(slide) { slide.session = newSession(); slide.watched = 0; slide.lastTime = null; }

  function report(slide) {
    const session = slide.session;
    slide.session = null;
    const duration = slide.video.duration || slide.record.duration_seconds || 0;
    const watched = Math.min(slide.watched, duration);
    if (!session || watched < 0.5) return;
    api("POST", `/video/${slide.record.hash_id}/views`,
      { watched_seconds: Math.round(watched * 1000) / 1000, session_id: session }, { keepalive: true })
      .catch((e) => console.error("views", e));
  }

  function show(index) {
    if (index === current || index < 0 || index >= slides.length) return;
    const old = slides[current];
    if (old) { old.video.pause(); report(old); }
    current = index;
    const slide = slides[index];
    release(index);
    for (let i = index; i < Math.min(slides.length, index + 3); i++) ensureLoaded(slides[i]);
    slide.video.muted = muted;
    slide.unmute.hidden = !muted;
    startSession(slide);
    slide.video.play().catch(() => {});
    if (index >= slides.length - 3) loadPage();
  }

  let observer = null;
  function observeAll() {
    observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting && entry.intersectionRatio >= 0.6) {
          show(slides.findIndex((s) => s.node === entry.target));
        }
      }
    }, { root: feed, threshold: [0.6] });
    slides.forEach((s) => observer.observe(s.node));
  }

  function go(step) {
    const target = slides[Math.max(0, Math.min(slides.length - 1, current + step))];
    if (target) target.node.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  document.addEventListener("keydown", (e) => {
    if (e.target.closest && e.target.closest("input, textarea, dialog")) return;
    if (e.key === "ArrowDown" || e.key === "j" || e.key === "PageDown") { e.preventDefault(); go(1); }
    if (e.key === "ArrowUp" || e.key === "k" || e.key === "PageUp") { e.preventDefault(); go(-1); }
    if (e.key === "m") toggleMute();
  });

  document.addEventListener("visibilitychange", () => {
    const slide = slides[current];
    if (!slide) return;
    if (document.visibilityState === "hidden") { report(slide); slide.video.pause(); }
    else { startSession(slide); slide.video.play().catch(() => {}); }
  });
  window.addEventListener("pagehide", () => { const s = slides[current]; if (s) report(s); });

  function needSignIn() {
    if (!signedIn) { location.href = "/app/signin"; return true; }
    return false;
  }

  async function toggleLike(slide) {
    if (needSignIn()) return;
    const liked = slide.like.getAttribute("aria-pressed") === "true";
    try {
      const state = await api(liked ? "DELETE" : "PUT", `/video/${slide.record.hash_id}/like`);
      slide.like.setAttribute("aria-pressed", String(state.liked));
      slide.likes.textContent = count(state.likes);
    } catch (e) { alert(e.message); }
  }

  async function doShare(slide) {
    const url = `${location.origin}/app/v/${slide.record.hash_id}`;
    if (signedIn) {
      try {
        const state = await api("POST", `/video/${slide.record.hash_id}/shares`);
        slide.shares.textContent = count(state.shares);
      } catch (e) { console.error("share", e); }
    }
    if (navigator.share) navigator.share({ title: slide.record.title, url }).catch(() => {});
    else if (navigator.clipboard) navigator.clipboard.writeText(url).then(() => toast("Link copied"), () => toast(url));
    else toast(url);
  }

  function toast(text) {
    const t = el("div", { class: "unmute", role: "status" }, text);
    (slides[current] ? slides[current].node : document.body).append(t);
    setTimeout(() => t.remove(), 2500);
  }

  // Comments, in a dialog over the feed.
  const dialog = document.getElementById("comments");
  const list = document.getElementById("comment-list");
  const form = document.getElementById("comment-form");
  let commentsFor = null;
  document.getElementById("comments-close").addEventListener("click", () => dialog.close());

  async function openComments(slide) {
    commentsFor = slide;
    list.replaceChildren(el("li", {}, "Loading…"));
    dialog.showModal();
    try {
      const page = await api("GET", `/video/${slide.record.hash_id}/comments?limit=50`);
      list.replaceChildren(...page.comments.map(commentItem));
      if (!page.comments.length) list.replaceChildren(el("li", { class: "none" }, "No comments yet."));
    } catch (e) { list.replaceChildren(el("li", {}, e.message)); }
  }

  function commentItem(c) { return el("li", {}, el("b", {}, c.username), c.text); }

  if (form) form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = document.getElementById("comment-text");
    const slide = commentsFor;
    if (!slide || !input.value.trim()) return;
    try {
      const c = await api("POST", `/video/${slide.record.hash_id}/comments`, { text: input.value });
      input.value = "";
      const none = list.querySelector(".none");
      if (none) none.remove();
      list.prepend(commentItem(c));
      refreshSocial(slide);
    } catch (err) { alert(err.message); }
  });

  loadPage();
})();
