/* Lara keyboard shortcuts: j / k move through the inbox, Enter or o opens, r replies, ? lists them.
 *
 * Moving the selection moves the keyboard focus to the case link in the row,
 * so screen readers announce it and Tab continues from there; the focused row
 * is highlighted with :focus-within. Keys typed into form fields are left alone.
 */
(function () {
  "use strict";
  var selected = null; // the reference of the selected case, kept across live refreshes

  function links() { return Array.prototype.slice.call(document.querySelectorAll("table.cases a.case-link")); }

  function typing(target) {
    return target && target.closest && target.closest("input, textarea, select, [contenteditable], dialog[open]");
  }

  function move(step) {
    var all = links();
    if (!all.length) return;
    var index = all.findIndex(function (a) { return a.closest("tr").dataset.reference === selected; });
    index = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    selected = all[index].closest("tr").dataset.reference;
    all[index].focus();
  }

  function current() {
    return links().find(function (a) { return a.closest("tr").dataset.reference === selected; });
  }

  function toggleHelp() {
    var dialog = document.getElementById("shortcuts");
    if (!dialog) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") {
      var dialog = document.getElementById("shortcuts");
      if (dialog && (dialog.open || !typing(event.target))) { event.preventDefault(); toggleHelp(); }
      return;
    }
    if (typing(event.target)) return;
    var onLink = event.target && (event.target.tagName === "A" || event.target.tagName === "BUTTON");
    if (event.key === "j") { event.preventDefault(); move(1); }
    else if (event.key === "k") { event.preventDefault(); move(-1); }
    else if (event.key === "o" || (event.key === "Enter" && !onLink)) {
      var link = current();
      if (link) { event.preventDefault(); window.location.assign(link.href); }
    } else if (event.key === "r") {
      var reply = document.getElementById("reply-text");
      if (reply) { event.preventDefault(); reply.focus(); }
    }
  });

  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("table.cases tr[data-reference]");
    if (row) selected = row.dataset.reference;
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcuts-open]")) toggleHelp();
  });

  // A live refresh replaces the rows: put the focus back on the same case.
  document.addEventListener("htmx:afterSwap", function () {
    var active = document.activeElement;
    if (selected && (!active || active === document.body)) {
      var link = current();
      if (link) link.focus({ preventScroll: true });
    }
  });
})();
