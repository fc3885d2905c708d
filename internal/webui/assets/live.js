// live.js: the dashboards' only script. It opens the page's EventSource (body[data-live-src])
// and puts each event's HTML, which the server rendered and escaped, at the top of the element
// whose data-live-target names the event type. Everything works without it; it adds liveness.
"use strict";
(function () {
  const src = document.body.dataset.liveSrc;
  if (!src || !window.EventSource) return;
  const status = document.querySelector("[data-live-status]");
  const say = (text) => { if (status) status.textContent = text; };
  const es = new EventSource(src);
  es.addEventListener("open", () => say("live"));
  es.addEventListener("error", () => say(es.readyState === EventSource.CLOSED ? "live updates off" : "reconnecting…"));
  es.addEventListener("dropped", (e) => say("live — " + e.data + " updates missed (too slow); reload for all"));
  const targets = document.querySelectorAll("[data-live-target]");
  for (const target of targets) {
    const max = parseInt(target.dataset.liveMax || "200", 10);
    es.addEventListener(target.dataset.liveTarget, (e) => {
      // Parse inside a <template> of the target's kind so that <tr> and <li> survive parsing.
      const tpl = document.createElement("template");
      tpl.innerHTML = target.tagName === "TBODY" ? "<table><tbody>" + e.data + "</tbody></table>" : e.data;
      const holder = target.tagName === "TBODY" ? tpl.content.querySelector("tbody") : tpl.content;
      const nodes = Array.from(holder.children);
      for (const node of nodes.reverse()) {
        node.classList.add("fresh");
        target.prepend(node);
      }
      const empty = target.querySelector("[data-live-empty]");
      if (empty) empty.remove();
      while (target.children.length > max) target.lastElementChild.remove();
    });
  }
})();
