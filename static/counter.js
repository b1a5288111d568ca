// A live count beside fields with a length limit (data-limit), so a long
// pasted subject is noticed before sending; the server still decides.
(function () {
  Array.prototype.forEach.call(document.querySelectorAll("input[data-limit]"), function (input) {
    var limit = parseInt(input.getAttribute("data-limit"), 10);
    var ids = (input.getAttribute("aria-describedby") || "").split(" ");
    var out = ids.map(function (id) { return document.getElementById(id); })
      .filter(function (e) { return e && e.hasAttribute("data-template"); })[0];
    if (!out || !limit) { return; }
    var show = function () {
      var n = Array.from(input.value).length;
      out.hidden = false;
      out.textContent = out.getAttribute("data-template").replace("{n}", n);
      out.classList.toggle("over", n > limit);
    };
    input.addEventListener("input", show);
    show();
  });
})();
