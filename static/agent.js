// Bilet agent workspace: live updates, presence, sound, canned responses
// and keyboard shortcuts. Every page works without this file; it only
// makes them update by themselves and quicker to drive.
(function () {
  "use strict";

  var liveStatus = document.getElementById("live-status");
  function announce(text) {
    if (liveStatus) { liveStatus.textContent = text; }
  }

  var unseen = 0;
  var baseTitle = document.title;
  function bumpTitle() {
    if (document.visibilityState === "visible") { return; }
    unseen += 1;
    document.title = "(" + unseen + ") " + baseTitle;
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { unseen = 0; document.title = baseTitle; }
  });

  var sound = null;
  function chime() {
    var ws = document.querySelector("[data-sound]");
    if (!ws || ws.getAttribute("data-sound") !== "true") { return; }
    if (!sound) { sound = new Audio("/static/notify.wav"); sound.volume = 0.4; }
    sound.currentTime = 0;
    sound.play().catch(function () { /* autoplay may be blocked until a click */ });
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrf]");
    return field ? field.value : "";
  }

  // ---- The queue: refresh the list when something changes. ----
  var workspace = document.querySelector(".workspace[data-queue]");
  if (workspace && window.EventSource) {
    var queueUrl = workspace.getAttribute("data-queue");
    var refreshing = false;
    var refreshQueue = function (changed) {
      if (refreshing) { return; }
      refreshing = true;
      fetch(queueUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var list = document.getElementById("queue-list");
          var checked = Array.prototype.map.call(list.querySelectorAll("input[name=ticket]:checked"), function (c) { return c.value; });
          list.innerHTML = html;
          checked.forEach(function (n) {
            var box = list.querySelector("input[name=ticket][value='" + n + "']");
            if (box) { box.checked = true; }
          });
          if (changed) {
            var row = list.querySelector("tr[data-number='" + changed + "']");
            if (row) { row.classList.add("fresh"); }
          }
        })
        .catch(function () {})
        .then(function () { refreshing = false; });
    };
    var refreshCounts = function () {
      fetch("/agent/counts", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (counts) {
          document.querySelectorAll(".count[data-key]").forEach(function (el) {
            var n = counts[el.getAttribute("data-key")];
            if (n !== undefined) { el.textContent = n; }
          });
        })
        .catch(function () {});
    };
    var queueEvents = new EventSource("/agent/stream");
    queueEvents.addEventListener("message", refreshCounts);
    queueEvents.addEventListener("ticket", refreshCounts);
    queueEvents.addEventListener("message", function (e) {
      var data = JSON.parse(e.data);
      refreshQueue(data.ticket);
      if (data.kind === "customer") { chime(); bumpTitle(); }
      announce(workspace.getAttribute("data-new-label") + " #" + data.ticket);
    });
    queueEvents.addEventListener("ticket", function (e) { refreshQueue(JSON.parse(e.data).ticket); });
    queueEvents.addEventListener("reload", function () { refreshQueue(null); });
  }

  // ---- The ticket page: refresh the timeline, show who else is here. ----
  var layout = document.querySelector(".ticket-layout[data-ticket]");
  if (layout && window.EventSource) {
    var number = layout.getAttribute("data-ticket");
    var refreshTimeline = function () {
      fetch("/agent/tickets/" + number + "/timeline", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("#timeline");
          var old = document.getElementById("timeline");
          if (!fresh || !old) { return; }
          old.replaceWith(fresh);
          // The agent now sees the new state, so their forms may act on it.
          var version = fresh.getAttribute("data-version");
          document.querySelectorAll("input[name=version]").forEach(function (v) { v.value = version; });
        })
        .catch(function () {});
    };
    var ticketEvents = new EventSource("/agent/stream?ticket=" + number);
    ticketEvents.addEventListener("message", function (e) {
      var data = JSON.parse(e.data);
      refreshTimeline();
      if (data.kind === "customer") { chime(); bumpTitle(); }
      announce(layout.getAttribute("data-new-label"));
    });
    ticketEvents.addEventListener("ticket", refreshTimeline);
    ticketEvents.addEventListener("reload", refreshTimeline);

    var others = {};
    var presence = document.getElementById("presence");
    var showPresence = function () {
      var now = Date.now();
      var lines = [];
      Object.keys(others).forEach(function (who) {
        var p = others[who];
        if (now - p.at > 30000) { delete others[who]; return; }
        var label = layout.getAttribute(p.typing ? "data-typing" : "data-viewing");
        lines.push(label.replace("{name}", p.name));
      });
      if (presence) { presence.textContent = lines.join(" · "); }
    };
    ticketEvents.addEventListener("presence", function (e) {
      var data = JSON.parse(e.data);
      others[data.who] = { name: data.name, typing: data.typing, at: Date.now() };
      showPresence();
    });
    setInterval(showPresence, 5000);

    var typingUntil = 0;
    var sendPresence = function (typing) {
      var body = new URLSearchParams();
      body.set("typing", typing ? "1" : "0");
      fetch("/agent/tickets/" + number + "/presence", {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "X-CSRF-Token": csrfToken() }
      }).catch(function () {});
    };
    sendPresence(false);
    setInterval(function () { sendPresence(Date.now() < typingUntil); }, 15000);
    document.querySelectorAll(".composer textarea").forEach(function (area) {
      area.addEventListener("input", function () {
        var wasTyping = Date.now() < typingUntil;
        typingUntil = Date.now() + 8000;
        if (!wasTyping) { sendPresence(true); }
      });
    });
  }

  // ---- Canned responses: insert in place, at the cursor. ----
  var cannedData = document.getElementById("canned-data");
  var cannedSelect = document.getElementById("canned");
  var replyBody = document.getElementById("reply-body");
  if (cannedData && cannedSelect && replyBody) {
    var canned = JSON.parse(cannedData.textContent || "[]");
    var insertButton = document.querySelector(".canned-picker button[value=insert]");
    var filter = document.createElement("input");
    filter.type = "search";
    filter.id = "canned-filter";
    filter.setAttribute("aria-label", cannedSelect.labels && cannedSelect.labels[0] ? cannedSelect.labels[0].textContent : "Canned");
    filter.setAttribute("list", "canned-titles");
    var titles = document.createElement("datalist");
    titles.id = "canned-titles";
    canned.forEach(function (c) { var o = document.createElement("option"); o.value = c.title; titles.appendChild(o); });
    cannedSelect.parentNode.insertBefore(filter, cannedSelect);
    cannedSelect.parentNode.appendChild(titles);
    filter.addEventListener("input", function () {
      var q = filter.value.toLowerCase();
      Array.prototype.forEach.call(cannedSelect.options, function (o) { o.hidden = q && o.text.toLowerCase().indexOf(q) < 0; });
      var hit = canned.filter(function (c) { return c.title.toLowerCase() === q; })[0];
      if (hit) { cannedSelect.value = hit.id; }
    });
    if (insertButton) {
      insertButton.addEventListener("click", function (e) {
        var hit = canned.filter(function (c) { return c.id === cannedSelect.value; })[0];
        if (!hit) { return; }
        e.preventDefault();
        var start = replyBody.selectionStart, end = replyBody.selectionEnd, text = replyBody.value;
        replyBody.value = text.slice(0, start) + hit.body + text.slice(end);
        replyBody.focus();
        replyBody.selectionStart = replyBody.selectionEnd = start + hit.body.length;
      });
    }
  }

  // ---- Keyboard. ----
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll(".queue-row")); };
  var current = -1;
  var select = function (i) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(i, all.length - 1));
    all.forEach(function (r, j) { r.classList.toggle("selected", j === current); });
    var link = all[current].querySelector("a");
    if (link) { link.focus(); }
  };
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      var form = e.target.form;
      if (form) { e.preventDefault(); (form.querySelector("button[value=send]") || form.querySelector("button[type=submit]")).click(); }
      return;
    }
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var dialog = document.getElementById("shortcuts");
    if (e.key === "j") { select(current + 1); e.preventDefault(); }
    else if (e.key === "k") { select(current - 1); e.preventDefault(); }
    else if (e.key === "/") {
      var q = document.getElementById("q");
      if (q) {
        var box = q.closest("details");
        if (box) { box.open = true; }
        q.focus();
        e.preventDefault();
      }
    }
    else if (e.key === "r") {
      var tabReply = document.getElementById("tab-reply");
      if (tabReply && replyBody) { tabReply.checked = true; replyBody.focus(); e.preventDefault(); }
    } else if (e.key === "n") {
      var tabNote = document.getElementById("tab-note"), note = document.getElementById("note-body");
      if (tabNote && note) { tabNote.checked = true; note.focus(); e.preventDefault(); }
    } else if (e.key === "?" && dialog && dialog.showModal) { dialog.showModal(); e.preventDefault(); }
  });
})();
