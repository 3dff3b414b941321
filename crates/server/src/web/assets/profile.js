// A creator's profile: the follow button and their listed videos, page by page.
"use strict";
(function () {
  const { api, el } = window.reelshare;
  const root = document.getElementById("profile");
  const userId = root.dataset.userId;
  const grid = document.getElementById("user-videos");
  const more = document.getElementById("more");
  const follow = document.getElementById("follow");
  let next = null;

  async function load() {
    const q = next ? `?next=${encodeURIComponent(next)}` : "";
    const page = await api("GET", `/video/user/${encodeURIComponent(userId)}${q}`);
    grid.append(...page.videos.map((v) => el("li", {},
      el("a", { href: `/app/v/${v.hash_id}` }, el("img", { src: v.thumbnail_url, alt: "", loading: "lazy" }), el("span", {}, v.title)))));
    next = page.next;
    more.hidden = !next;
    document.getElementById("user-empty").hidden = grid.children.length > 0;
  }
  more.addEventListener("click", load);
  load().catch((e) => console.error(e));

  if (follow) follow.addEventListener("click", async () => {
    const following = follow.getAttribute("aria-pressed") === "true";
    try {
      const s = await api(following ? "DELETE" : "PUT", `/users/${encodeURIComponent(userId)}/follow`);
      follow.setAttribute("aria-pressed", String(s.following));
      follow.textContent = s.following ? "Following" : "Follow";
      document.getElementById("followers").textContent = s.followers;
    } catch (e) { alert(e.message); }
  });
})();
