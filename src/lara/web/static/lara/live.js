/* Lara live rows: one EventSource per page; on a named event, htmx re-renders the rows.
 *
 * The element that carries data-live-url also carries its own hx-get and
 * hx-trigger="lara:live", so the refresh keeps the page's filters. The server
 * ends each stream after a minute and the browser reconnects by itself; after
 * a reconnect the rows are refreshed once, so nothing changed in the gap is missed.
 */
(function () {
  "use strict";
  function start() {
    var el = document.querySelector("[data-live-url]");
    if (!el || !window.EventSource || !window.htmx) return;
    var source = new EventSource(el.getAttribute("data-live-url"));
    var opened = false;
    function refresh() { window.htmx.trigger(el, "lara:live"); }
    source.addEventListener(el.getAttribute("data-live-event") || "message", refresh);
    source.addEventListener("open", function () {
      if (opened) refresh();
      opened = true;
      el.setAttribute("data-live-state", "open");
    });
    source.addEventListener("error", function () { el.setAttribute("data-live-state", "reconnecting"); });
    window.addEventListener("pagehide", function () { source.close(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
