/* Confirmation before a money action.
 *
 * A form with data-confirm="…" asks the question (with the amounts) before it is sent;
 * "Cancel" keeps the page as it is. Without JavaScript the form is sent at once: the
 * server's one-time token still makes a second click harmless.
 */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
