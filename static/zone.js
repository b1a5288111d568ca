// Sends the browser's time zone with a new account's form, so that its
// times read right from the first page. Without JavaScript the helpdesk's
// zone applies until the person picks one.
(function () {
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  Array.prototype.forEach.call(document.querySelectorAll("input[data-browser-zone]"), function (i) { i.value = zone; });
})();
