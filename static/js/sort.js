/* Career Credit: sortable tables (issue 18), progressive. For every table.sortable, each column
   header (<th scope="col">) not marked data-nosort, and holding no control of its own, gets its
   words wrapped in a <button type="button"> (a real button: Enter and Space work, it is in the
   Tab order). Pressing it sorts the rows of each <tbody> by that column: ascending first, then
   descending; numbers by value ("12.5", "1,200", "80%"), ISO dates (2026-03-01) by date, other
   text with localeCompare; a cell's data-sort attribute overrides its text; empty cells (or a
   dash alone) go last. The header gets aria-sort="ascending|descending" (the others lose it),
   and a polite live region says "Sorted by Hours, ascending". Without this script the table is
   the server's order. Served from /static (CSP: script-src 'self' + nonce); no inline code;
   does nothing on a page without a sortable table. */
(function () {
  "use strict";

  var NUMBER = /^[-+]?[\d,\s]*\.?\d+\s*%?$/;
  var ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?/;
  var NOTHING = /^[-\u2012-\u2015\s]*$/;  // "", "—", "–", "-": no value
  var status = null;

  function announce(text) {
    if (!status) {
      status = document.createElement("div");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      status.setAttribute("data-sort-status", "");
      document.body.appendChild(status);
    }
    status.textContent = "";
    // a fresh text node after a tick, so the same words are read again on a second sort
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var given = cell.getAttribute("data-sort");
    var value = (given !== null ? given : cell.textContent).replace(/\s+/g, " ").trim();
    return NOTHING.test(value) ? "" : value;
  }

  function kindOf(values) {
    var present = values.filter(function (v) { return v !== ""; });
    if (!present.length) { return "text"; }
    if (present.every(function (v) { return NUMBER.test(v); })) { return "number"; }
    if (present.every(function (v) { return ISO_DATE.test(v); })) { return "date"; }
    return "text";
  }

  function keyOf(value, kind) {
    if (value === "") { return null; }
    if (kind === "number") {
      var number = parseFloat(value.replace(/[,\s%+]/g, ""));
      return isNaN(number) ? null : number;
    }
    if (kind === "date") {
      var time = Date.parse(value);
      if (isNaN(time)) { time = Date.parse(value.slice(0, 10)); }
      return isNaN(time) ? null : time;
    }
    return value;
  }

  function compare(a, b, kind) {
    if (kind === "text") {
      return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function sortBody(body, index, descending) {
    var rows = Array.prototype.slice.call(body.rows);
    var values = rows.map(function (row) { return cellValue(row, index); });
    var kind = kindOf(values);
    var keyed = rows.map(function (row, i) { return { row: row, key: keyOf(values[i], kind), i: i }; });
    keyed.sort(function (x, y) {
      if (x.key === null || y.key === null) {  // empty cells last, either way
        return x.key === y.key ? x.i - y.i : x.key === null ? 1 : -1;
      }
      var order = compare(x.key, y.key, kind);
      return (descending ? -order : order) || x.i - y.i;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (k) { fragment.appendChild(k.row); });
    body.appendChild(fragment);
  }

  function headerText(th) {
    var button = th.querySelector(".sort-button");
    return ((button || th).textContent || "").replace(/\s+/g, " ").trim();
  }

  function sortBy(table, th) {
    var descending = th.getAttribute("aria-sort") === "ascending";
    Array.prototype.forEach.call(table.tBodies, function (body) {
      sortBody(body, th.cellIndex, descending);
    });
    Array.prototype.forEach.call(table.querySelectorAll("thead th[aria-sort]"), function (other) {
      if (other !== th) { other.removeAttribute("aria-sort"); }
    });
    var direction = descending ? "descending" : "ascending";
    th.setAttribute("aria-sort", direction);
    announce("Sorted by " + headerText(th) + ", " + direction);
  }

  function setUp(table) {
    if (table.hasAttribute("data-sort-ready") || !table.tHead) { return; }
    table.setAttribute("data-sort-ready", "");
    var heads = table.tHead.querySelectorAll("th[scope=col]:not([data-nosort])");
    Array.prototype.forEach.call(heads, function (th) {
      // a header holding a control of its own (a link, a "select all" box) stays as it is
      if (th.querySelector("a, button, input, select, textarea")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      var indicator = document.createElement("span");
      indicator.className = "sort-indicator";
      indicator.setAttribute("aria-hidden", "true");
      button.appendChild(indicator);
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, th); });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
