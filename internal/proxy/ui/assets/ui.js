// Live updates of the exchanges table: an EventSource on the URL the table names, each
// "exchange" event's data a row the server rendered (escaped by html/template), prepended.
// Without JavaScript the page works the same, reloaded by hand.
"use strict";
(function () {
  var table = document.getElementById("exchanges");
  if (!table || !window.EventSource) return;
  var body = table.tBodies[0];
  var state = document.querySelector("[data-live-state]");
  var max = 200;
  var say = function (text) { if (state) state.textContent = text; };
  var es = new EventSource(table.getAttribute("data-events"));
  es.addEventListener("open", function () { say("Live: new exchanges appear at the top."); });
  es.addEventListener("error", function () { say("Live feed interrupted; reconnecting…"); });
  es.addEventListener("dropped", function (e) { say("Live: " + e.data + " exchanges were too many to show; reload for all kept."); });
  es.addEventListener("exchange", function (e) {
    var t = document.createElement("template");
    t.innerHTML = e.data.trim();
    var row = t.content.firstElementChild;
    if (!row) return;
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > max) body.deleteRow(body.rows.length - 1);
    var empty = document.getElementById("empty");
    if (empty) empty.remove();
  });
})();
