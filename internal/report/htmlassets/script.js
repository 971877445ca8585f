"use strict";
(function () {
  var coll = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  function key(cell, num) {
    var v = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
    if (num) { var n = parseFloat(v); return isNaN(n) ? -Infinity : n; }
    return v;
  }
  function sortBy(table, col, th) {
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", dir);
    var num = th.classList.contains("num"), sign = dir === "ascending" ? 1 : -1;
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (r, i) { return { r: r, k: key(r.cells[col], num), i: i }; });
    keyed.sort(function (a, b) {
      var c = num ? (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) : coll.compare(a.k, b.k);
      return c !== 0 ? sign * c : a.i - b.i;
    });
    var frag = document.createDocumentFragment();
    keyed.forEach(function (x) { frag.appendChild(x.r); });
    body.appendChild(frag);
    var live = document.getElementById(table.id + "-status");
    if (live) live.textContent = "Sorted by " + th.textContent.trim() + ", " + dir + ".";
  }
  function filter(table, input, out) {
    var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean), shown = 0;
    var rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (r._text === undefined) r._text = r.textContent.toLowerCase();
      var ok = terms.every(function (t) { return r._text.indexOf(t) >= 0; });
      r.hidden = !ok;
      if (ok) shown++;
    }
    out.textContent = shown + " of " + rows.length + " rows shown";
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var b = th.querySelector("button");
      if (b) b.addEventListener("click", function () { sortBy(table, col, th); });
    });
  });
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    var out = document.getElementById(input.getAttribute("data-filter") + "-count");
    if (!table || !out) return;
    input.addEventListener("input", function () { filter(table, input, out); });
  });
})();
