/* "Select all" for lists with checkboxes.
 *
 * A checkbox <input data-select-all="NAME" hidden> is shown and, when toggled, checks or
 * clears every checkbox named NAME in the same form. Without JavaScript it stays hidden
 * and each row is chosen by hand.
 */
(function () {
  "use strict";

  function boxes(master) {
    var name = master.getAttribute("data-select-all");
    var scope = master.form || document;
    return Array.prototype.filter.call(
      scope.querySelectorAll('input[type="checkbox"]'),
      function (box) { return box.name === name; }
    );
  }

  function sync(master) {
    var all = boxes(master);
    var checked = all.filter(function (box) { return box.checked; }).length;
    master.checked = all.length > 0 && checked === all.length;
    master.indeterminate = checked > 0 && checked < all.length;
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-select-all]"), function (master) {
    master.hidden = false;
    master.addEventListener("change", function () {
      boxes(master).forEach(function (box) { box.checked = master.checked; });
    });
    boxes(master).forEach(function (box) {
      box.addEventListener("change", function () { sync(master); });
    });
    sync(master);
  });
})();
