// A video's page: the player (player.js: the browser's own HLS, else hls.js, else the MP4
// with Range), like, share, the comments, and watch time reported to
// /video/{id}/views like the feed does (a session per play-through or visit).
"use strict";
(function () {
  const { api, el, signedIn, player: playback } = window.reelshare;
  const root = document.getElementById("watch");
  const hashId = root.dataset.hashId, userId = root.dataset.userId;
  const player = document.getElementById("player");
  const $ = (id) => document.getElementById(id);
  let session = null, watched = 0, last = null;

  api("GET", `/video/watch/?user_id=${encodeURIComponent(userId)}&hash_id=${encodeURIComponent(hashId)}`)
    .then((w) => { playback.attach(player, w); })
    .catch((e) => console.error("watch", e));

  const start = () => { session = "p" + Math.random().toString(36).slice(2); watched = 0; last = null; };
  function report() {
    const s = session; session = null;
    const w = Math.min(watched, player.duration || watched);
    if (!s || w < 0.5) return;
    api("POST", `/video/${hashId}/views`, { watched_seconds: Math.round(w * 1000) / 1000, session_id: s }, { keepalive: true })
      .catch((e) => console.error("views", e));
  }
  player.addEventListener("play", () => { if (!session) start(); });
  player.addEventListener("timeupdate", () => {
    if (!session || player.paused) return;
    const t = player.currentTime;
    if (last !== null) { const d = t - last; if (d > 0 && d < 1.5) watched += d; else if (d < -1) { report(); start(); } }
    last = t;
  });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") report(); });
  window.addEventListener("pagehide", report);

  $("like").addEventListener("click", async () => {
    if (!signedIn) { location.href = "/app/signin"; return; }
    const liked = $("like").getAttribute("aria-pressed") === "true";
    try {
      const s = await api(liked ? "DELETE" : "PUT", `/video/${hashId}/like`);
      $("like").setAttribute("aria-pressed", String(s.liked));
      $("likes").textContent = s.likes;
    } catch (e) { alert(e.message); }
  });

  $("share").addEventListener("click", async () => {
    const url = $("share-link").value;
    if (signedIn) {
      try { const s = await api("POST", `/video/${hashId}/shares`); $("shares").textContent = s.shares; } catch (e) { console.error(e); }
    }
    if (navigator.share) navigator.share({ url }).catch(() => {});
    else if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
    $("share-link").select();
  });

  const list = $("comment-list");
  const item = (c) => el("li", {}, el("b", {}, c.username), c.text);
  let before = null;
  async function loadComments() {
    const q = before ? `&before=${before}` : "";
    const page = await api("GET", `/video/${hashId}/comments?limit=50${q}`);
    list.append(...page.comments.map(item));
    before = page.next_before;
  }
  loadComments().catch((e) => list.append(el("li", {}, e.message)));

  const form = $("comment-form");
  if (form) form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("comment-text");
    try {
      const c = await api("POST", `/video/${hashId}/comments`, { text: input.value });
      input.value = "";
      list.prepend(item(c));
      $("comment-count").textContent = Number($("comment-count").textContent) + 1;
    } catch (err) { alert(err.message); }
  });
})();
