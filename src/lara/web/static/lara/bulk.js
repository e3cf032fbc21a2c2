/* Lara bulk selection: keep the checked cases checked when live updates re-render the rows,
 * and let "select all" check every row on the page.
 */
(function () {
  "use strict";
  var checked = new Set();
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || !box.matches) return;
    if (box.matches("input.bulk-pick")) {
      if (box.checked) checked.add(box.value); else checked.delete(box.value);
    } else if (box.matches("input.bulk-all")) {
      document.querySelectorAll("input.bulk-pick").forEach(function (b) {
        b.checked = box.checked;
        if (box.checked) checked.add(b.value); else checked.delete(b.value);
      });
    }
  });
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("input.bulk-pick").forEach(function (b) { b.checked = checked.has(b.value); });
  });
})();
