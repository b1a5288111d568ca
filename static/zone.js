// Sends the browser's time zone with a new account's form, so that its
// times read right from the first page. Without JavaScript the helpdesk's
// zone applies until the person picks one.
(function () {
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  Array.prototype.forEach.call(document.querySelectorAll("input[data-browser-zone]"), function (i) { i.value = zone; });
})();

// The zone list is long: a box above it keeps only the zones whose name or
// offset holds what is typed (shown only with JavaScript; the list works
// by itself with type-ahead). One match left is chosen.
(function () {
  Array.prototype.forEach.call(document.querySelectorAll("input[data-zone-filter]"), function (box) {
    var select = document.getElementById(box.getAttribute("data-zone-filter"));
    if (!select) { return; }
    box.hidden = false;
    var norm = function (s) { return s.toLowerCase().replace(/ё/g, "е").replace(/_/g, " "); };
    box.addEventListener("input", function () {
      var q = norm(box.value.trim());
      var shown = [];
      Array.prototype.forEach.call(select.querySelectorAll("option"), function (o) {
        var hit = !q || !o.value || norm(o.textContent + " " + o.value).indexOf(q) >= 0;
        o.hidden = !hit;
        if (hit && o.value) { shown.push(o); }
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (g) {
        g.hidden = !Array.prototype.some.call(g.children, function (o) { return !o.hidden; });
      });
      if (q && shown.length === 1) { shown[0].selected = true; }
    });
  });
})();
