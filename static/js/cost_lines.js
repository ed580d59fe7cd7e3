/* Live totals on the visit form.
 *
 * As the Meister types, each cost line's amount (quantity × unit price) and the totals
 * (eligible, not eligible, all) are recomputed in integer won. BigInt keeps them exact
 * past 2^53; a field that is not a whole number leaves its line out, as the server does.
 * The server computes the totals again when the form is sent, and without JavaScript
 * the "Recalculate" button asks it to.
 */
(function () {
  "use strict";
  var table = document.querySelector("table[data-cost-lines]");
  if (!table || typeof BigInt !== "function") {
    return;
  }
  var eligibleKinds = (table.getAttribute("data-eligible-kinds") || "").split(" ");
  var form = table.closest("form");

  function whole(input) {
    var text = input ? input.value.trim() : "";
    return /^[0-9]+$/.test(text) ? BigInt(text) : null;
  }

  function won(amount) {
    return amount.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "원";
  }

  function recompute() {
    var totals = { eligible: BigInt(0), ineligible: BigInt(0) };
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var cell = row.querySelector("[data-line-amount]");
      var quantity = whole(row.querySelector("input[name$='-quantity']"));
      var unitPrice = whole(row.querySelector("input[name$='-unit_price']"));
      if (!cell) {
        return;
      }
      if (quantity === null || unitPrice === null) {
        cell.textContent = "—";
        return;
      }
      var amount = quantity * unitPrice;
      var kind = row.querySelector("select[name$='-kind']");
      totals[kind && eligibleKinds.indexOf(kind.value) >= 0 ? "eligible" : "ineligible"] += amount;
      cell.textContent = won(amount);
    });
    totals.total = totals.eligible + totals.ineligible;
    Object.keys(totals).forEach(function (name) {
      var output = form.querySelector("[data-total='" + name + "']");
      if (output) {
        output.textContent = won(totals[name]);
      }
    });
  }

  table.addEventListener("input", recompute);
  table.addEventListener("change", recompute);
  recompute();
})();
