/* Career Credit: the skill picker (lti_tool.forms.LongSelect, a fieldset of checkboxes that
   works without this script). Adds a text filter that hides the checkboxes whose label does
   not hold the typed text (chosen ones stay chosen and are still submitted), says how many are
   shown (a status region), and keeps the "Chosen: …" line current. The list is one Tab stop
   (a roving tabindex): the arrow keys, Home and End move in it, Space checks, so a keyboard
   user does not tab through 174 boxes to reach the next field. Enter in the filter moves to
   the first shown checkbox instead of submitting the form; Escape clears the filter.
   Served from /static (CSP: script-src 'self' + nonce); no inline code. May be included once
   per picker: each picker is set up once. */
(function () {
  "use strict";

  function setUp(picker) {
    if (picker.hasAttribute("data-picker-ready")) { return; }
    picker.setAttribute("data-picker-ready", "");
    var row = picker.querySelector(".picker-filter");
    var input = row.querySelector("input");
    var count = row.querySelector(".picker-count");
    var chosen = picker.querySelector(".picker-chosen");
    var items = Array.prototype.slice.call(picker.querySelectorAll(".picker-options li"));
    var entries = items.map(function (item) {
      return {
        item: item,
        box: item.querySelector("input"),
        text: item.querySelector("label").textContent
      };
    });

    function showChosen() {
      var names = entries.filter(function (e) { return e.box.checked; })
        .map(function (e) { return e.text; });
      chosen.textContent = "Chosen: " + (names.length ? names.join(", ") : "none");
    }

    function filter() {
      var wanted = input.value.trim().toLowerCase();
      var shown = 0;
      entries.forEach(function (e) {
        var match = !wanted || e.text.toLowerCase().indexOf(wanted) !== -1;
        e.item.hidden = !match;
        if (match) { shown += 1; }
      });
      count.textContent = wanted ? shown + " of " + entries.length + " shown" : "";
    }

    function shown() {
      return entries.filter(function (e) { return !e.item.hidden; });
    }

    // The one checkbox the Tab key reaches in the list.
    var current = null;
    function makeCurrent(entry) {
      if (current && current !== entry) { current.box.tabIndex = -1; }
      current = entry;
      if (entry) { entry.box.tabIndex = 0; }
    }

    function resetCurrent() {
      var visible = shown();
      if (current && visible.indexOf(current) !== -1) { return; }
      var firstChosen = visible.filter(function (e) { return e.box.checked; })[0];
      makeCurrent(firstChosen || visible[0] || null);
    }

    input.addEventListener("input", function () {
      filter();
      resetCurrent();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        var first = shown()[0];
        if (first) {
          makeCurrent(first);
          first.box.focus();
        }
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        filter();
        resetCurrent();
      }
    });
    var moves = {
      ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1, Home: "first", End: "last"
    };
    entries.forEach(function (entry) {
      entry.box.tabIndex = -1;
      entry.box.addEventListener("focus", function () { makeCurrent(entry); });
      entry.box.addEventListener("keydown", function (event) {
        var move = moves[event.key];
        if (move === undefined) { return; }
        var visible = shown();
        var at = visible.indexOf(entry);
        var to = move === "first" ? 0 : move === "last" ? visible.length - 1 : at + move;
        if (to < 0 || to >= visible.length) { return; }
        event.preventDefault();
        makeCurrent(visible[to]);
        visible[to].box.focus();
      });
    });
    picker.addEventListener("change", function (event) {
      if (event.target !== input) { showChosen(); }
    });
    var hint = picker.querySelector(".hint");
    if (hint) {
      hint.textContent = "Check each one that applies: type to find one, then in the list " +
        "use the arrow keys to move and Space to check.";
    }
    resetCurrent();
    row.hidden = false;
  }

  Array.prototype.forEach.call(document.querySelectorAll("fieldset[data-picker]"), setUp);
}());
