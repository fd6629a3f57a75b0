/* Live updates for the Brand Monitor console (plain JavaScript, no build step).
   The server sends an SSE "change" event when incidents, notifications or actions change;
   this fetches the same page again and swaps its <main id="live">, unless someone is typing
   in a form there (then it waits until they leave the field). */
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource || !window.fetch) { return; }
  var busy = false, pending = false, refreshes = 0;

  function editing() {
    var a = document.activeElement;
    return a && live.contains(a) && (a.tagName === "TEXTAREA" || a.tagName === "SELECT" ||
      (a.tagName === "INPUT" && a.type !== "submit" && a.type !== "hidden"));
  }

  function refresh() {
    if (busy || editing()) { pending = true; return; }
    busy = true; pending = false;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Console-Live": "1" } })
      .then(function (resp) {
        if (resp.redirected || resp.status === 401) { window.location.reload(); return null; }
        return resp.ok ? resp.text() : null;
      })
      .then(function (html) {
        if (!html) { return; }
        // someone started typing while the page was being fetched: keep their text, swap later
        if (editing()) { pending = true; return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (fresh) {
          live.innerHTML = fresh.innerHTML;
          refreshes += 1;
          document.body.setAttribute("data-refreshes", String(refreshes));
        }
      })
      .catch(function () { pending = true; })
      .then(function () { busy = false; if (pending) { window.setTimeout(refresh, 300); } });
  }

  var source = new EventSource("/console/events");
  source.addEventListener("hello", function () { document.body.setAttribute("data-live", "on"); });
  source.addEventListener("change", refresh);
  source.onerror = function () { document.body.setAttribute("data-live", "retrying"); };
  document.addEventListener("focusout", function () { if (pending) { window.setTimeout(refresh, 100); } });
}());
