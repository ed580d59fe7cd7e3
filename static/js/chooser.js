/* Searchable choosers for firms, Meisters and suppliers.
 *
 * An element with data-chooser (a <select>, or a text box that takes an exact name) stays
 * in the form and keeps the chosen id; a search box (role="combobox") takes its place on
 * screen. Typing asks data-chooser-url?q=… for at most 20 matches [{id, label, detail}].
 * ArrowDown/ArrowUp move through the list, Enter chooses, Escape closes the list (a second
 * Escape puts back the last choice). Without JavaScript the <select> or text box works alone.
 */
(function () {
  "use strict";

  var counter = 0;

  function text(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function currentLabel(holder) {
    if (holder.tagName === "SELECT") {
      var option = holder.options[holder.selectedIndex];
      return option && option.value ? option.textContent : "";
    }
    return holder.getAttribute("data-chooser-value") ? holder.value : "";
  }

  function setValue(holder, choice) {
    var id = choice ? String(choice.id) : "";
    if (holder.tagName === "SELECT") {
      var known = Array.prototype.some.call(holder.options, function (o) { return o.value === id; });
      if (!known) {
        var option = text("option", "", choice.label);
        option.value = id;
        holder.appendChild(option);
      }
      holder.value = id;
    } else {
      holder.value = id;
    }
    holder.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function enhance(holder) {
    counter += 1;
    var baseId = holder.id || "chooser-" + counter;
    var listId = baseId + "-list";
    var url = holder.getAttribute("data-chooser-url");
    var noneText = holder.getAttribute("data-chooser-none") || "—";
    var failText = holder.getAttribute("data-chooser-fail") || noneText;

    var wrapper = text("div", "chooser position-relative");
    var input = text("input", holder.className.replace("form-select", "form-control"));
    input.type = "text";
    input.id = baseId;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    input.placeholder = holder.getAttribute("data-chooser-blank") || "";
    var describedBy = holder.getAttribute("aria-describedby");
    if (describedBy) input.setAttribute("aria-describedby", describedBy);
    if (holder.getAttribute("aria-invalid")) input.setAttribute("aria-invalid", "true");
    input.value = currentLabel(holder);

    var list = text("ul", "chooser-list list-group shadow-sm");
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var status = text("div", "visually-hidden");
    status.setAttribute("role", "status");

    // The holder keeps the name and the value; the search box takes its place and its id.
    if (holder.tagName === "INPUT") {
      holder.value = holder.getAttribute("data-chooser-value") || "";
      holder.type = "hidden";
    } else {
      holder.hidden = true;
    }
    holder.id = baseId + "-value";
    holder.setAttribute("tabindex", "-1");
    holder.parentNode.insertBefore(wrapper, holder);
    wrapper.appendChild(input);
    wrapper.appendChild(list);
    wrapper.appendChild(status);
    wrapper.appendChild(holder);

    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    var waiting = false; // a search is on its way
    var enterWhenReady = false; // Enter pressed before the answer came
    var last = holder.value ? { id: holder.value, label: input.value } : null; // for Escape

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll('[role="option"]');
      active = index;
      Array.prototype.forEach.call(items, function (item, i) {
        var on = i === index;
        item.classList.toggle("active", on);
        item.setAttribute("aria-selected", on ? "true" : "false");
        if (on) {
          input.setAttribute("aria-activedescendant", item.id);
          item.scrollIntoView({ block: "nearest" });
        }
      });
      if (index < 0) input.removeAttribute("aria-activedescendant");
    }

    function choose(index) {
      var choice = results[index];
      if (!choice) return;
      setValue(holder, choice);
      input.value = choice.label;
      last = choice;
      status.textContent = choice.label;
      close();
    }

    function show(choices, message) {
      results = choices;
      list.textContent = "";
      choices.forEach(function (choice, i) {
        var item = text("li", "list-group-item list-group-item-action");
        item.id = listId + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.appendChild(text("span", "", choice.label));
        if (choice.detail) item.appendChild(text("span", "d-block small text-muted", choice.detail));
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { choose(i); });
        list.appendChild(item);
      });
      if (!choices.length) {
        var empty = text("li", "list-group-item text-muted", message || noneText);
        list.appendChild(empty);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = choices.length ? String(choices.length) : message || noneText;
      highlight(choices.length ? 0 : -1);
    }

    function search() {
      var ask = ++asked;
      waiting = true;
      var address = url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(input.value);
      fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (choices) {
          if (ask !== asked) return;
          waiting = false;
          show(choices);
          if (enterWhenReady) {
            enterWhenReady = false;
            if (results.length) choose(0);
          }
        })
        .catch(function () {
          if (ask !== asked) return;
          waiting = false;
          enterWhenReady = false;
          show([], failText);
        });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    }

    input.addEventListener("input", function () {
      if (holder.value) setValue(holder, null); // what was chosen no longer shows
      waiting = true;
      later();
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { search(); return; }
        highlight(Math.min(active + 1, results.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          choose(active);
        } else if (waiting) {
          event.preventDefault(); // choose the first match once it arrives
          enterWhenReady = true;
          clearTimeout(timer);
          search();
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (last && input.value !== last.label) {
          event.preventDefault(); // back to the last choice
          setValue(holder, last);
          input.value = last.label;
        }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-chooser]"), enhance);
})();
