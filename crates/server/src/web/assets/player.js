// Chooses how a <video> plays a watch record (GET /video/watch/): when the video has an
// hls_url, the browser's own HLS (Safari) or hls.js (vendored, hls.light.min.js) where
// MediaSource works; else the MP4 (watchable_url, played with Range requests). The choice
// is written on the element as data-playback="native-hls" | "hls.js" | "mp4".
//
// hls.js runs without a Web Worker (enableWorker: false): a worker would need a blob: script,
// which the pages' Content-Security-Policy does not allow. A player made `ahead` (the feed's
// next video) buffers only a few seconds until `full()` is called when it comes into view.
"use strict";
(function () {
  const AHEAD_SECONDS = 4;
  const FULL_SECONDS = 30;

  // The browser's own HLS first only where it is known to be sound: Safari (which has
  // ManagedMediaSource). Chromium 141+ also answers "maybe" to canPlayType, but its built-in
  // HLS player fails on some streams (hls.js's README advises the same test), so
  // there hls.js plays it through MediaSource; an old iPhone (no MediaSource) still plays
  // natively.
  function mode(video, watch) {
    if (!watch.hls_url) return "mp4";
    const native = video.canPlayType("application/vnd.apple.mpegurl") !== "";
    if (native && "ManagedMediaSource" in window) return "native-hls";
    if (window.Hls && window.Hls.isSupported()) return "hls.js";
    return native ? "native-hls" : "mp4";
  }

  // Attaches `watch` to `video`; returns { mode, full(), destroy() }.
  function attach(video, watch, { ahead = false } = {}) {
    const how = mode(video, watch);
    video.dataset.playback = how;
    if (how !== "hls.js") {
      video.src = how === "native-hls" ? watch.hls_url : watch.watchable_url;
      return { mode: how, full() {}, destroy() { video.removeAttribute("src"); video.load(); } };
    }
    // hls.js buffers max(maxBufferLength, what maxBufferSize holds at the bit rate), capped by
    // maxMaxBufferLength: the cap is what keeps a video ahead small.
    const hls = new window.Hls({
      enableWorker: false,
      maxBufferLength: ahead ? AHEAD_SECONDS : FULL_SECONDS,
      maxMaxBufferLength: ahead ? AHEAD_SECONDS : FULL_SECONDS * 2,
    });
    let failures = 0;
    hls.on(window.Hls.Events.ERROR, (_, data) => {
      if (!data.fatal) return;
      // One recovery attempt per kind, then the MP4: the video still plays.
      failures += 1;
      if (failures <= 2 && data.type === window.Hls.ErrorTypes.NETWORK_ERROR) { hls.startLoad(); return; }
      if (failures <= 2 && data.type === window.Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); return; }
      console.error("hls.js gave up, playing the MP4", data);
      hls.destroy();
      video.dataset.playback = "mp4";
      video.src = watch.watchable_url;
      if (!video.paused || video.autoplay) video.play().catch(() => {});
    });
    hls.loadSource(watch.hls_url);
    hls.attachMedia(video);
    return {
      mode: how,
      full() {
        hls.config.maxBufferLength = FULL_SECONDS;
        hls.config.maxMaxBufferLength = FULL_SECONDS * 2;
      },
      destroy() {
        hls.destroy();
        if (video.dataset.playback === "mp4") { video.removeAttribute("src"); video.load(); }
      },
    };
  }

  window.reelshare = Object.assign(window.reelshare || {}, { player: { attach, mode } });
})();
