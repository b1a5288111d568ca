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

  // ---- The bell: the unread count, refreshed when an escalation arrives. ----
  function refreshBell() {
    var badge = document.querySelector("[data-bell-count]");
    if (!badge) { return; }
    fetch("/agent/bell", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (b) {
        badge.textContent = b.label;
        var bell = document.querySelector("[data-bell]");
        if (bell) { bell.setAttribute("data-unread", String(b.unread)); }
      })
      .catch(function () {});
  }
  function notified() { refreshBell(); chime(); }
  refreshBell();

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
          // A ticket still ticked keeps the version it was ticked at, so a
          // bulk action on it is refused if it changed meanwhile.
          checked.forEach(function (value) {
            var n = value.split(":")[0];
            var box = list.querySelector("input[name=ticket][data-number='" + n + "']");
            if (box) { box.checked = true; box.value = value; }
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
    var changed = null;
    var countsSoon = throttled(refreshCounts, 2000);
    var queueSoon = throttled(function () { refreshQueue(changed); changed = null; }, 2000);
    var queueEvents = new EventSource("/agent/stream");
    queueEvents.addEventListener("message", function (e) {
      var data = JSON.parse(e.data);
      changed = data.ticket;
      countsSoon();
      queueSoon();
      if (data.kind === "customer") { chime(); bumpTitle(); }
      announce(workspace.getAttribute("data-new-label") + " #" + data.ticket);
    });
    queueEvents.addEventListener("ticket", function (e) { changed = JSON.parse(e.data).ticket; countsSoon(); queueSoon(); });
    queueEvents.addEventListener("reload", function () { countsSoon(); queueSoon(); });
    queueEvents.addEventListener("notified", function () { notified(); countsSoon(); queueSoon(); });
  }

  // At most one refetch per `gap` ms: events that arrive meanwhile are
  // folded into one refetch at the end of the gap.
  function throttled(fn, gap) {
    var last = 0, timer = null;
    return function () {
      if (timer) { return; }
      var wait = Math.max(0, last + gap - Date.now());
      timer = setTimeout(function () { timer = null; last = Date.now(); fn(); }, wait);
    };
  }

  // ---- The ticket page: refresh it, show who else is here. ----
  var layout = document.querySelector(".ticket-layout[data-ticket]");
  if (layout && window.EventSource) {
    var number = layout.getAttribute("data-ticket");
    var markStale = function () {
      var banner = document.getElementById("stale-banner");
      if (banner) { banner.hidden = false; }
    };
    // The header, the timeline, the side panel and every form's version
    // come from one fresh copy of the page, so they always agree. While
    // the agent is using the side panel, nothing is swapped under them:
    // the page is marked stale and the server refuses a change made from
    // it, keeping what was typed.
    var refreshPage = function () {
      fetch("/agent/tickets/" + number, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var freshLayout = fresh.querySelector(".ticket-layout[data-ticket]");
          if (!freshLayout) { return; }
          var side = document.querySelector(".ticket-side");
          var busy = side && side.contains(document.activeElement) && document.activeElement !== document.body;
          if (busy) { markStale(); return; }
          // The panel's folds stay as the agent left them.
          var folds = Array.prototype.map.call(document.querySelectorAll(".ticket-side details"), function (d) { return d.open; });
          [".ticket-head", "#timeline", ".ticket-side", ".links"].forEach(function (sel) {
            var now = document.querySelector(sel), next = fresh.querySelector(sel);
            if (now && next) { now.replaceWith(next); }
          });
          Array.prototype.forEach.call(document.querySelectorAll(".ticket-side details"), function (d, i) {
            if (i < folds.length) { d.open = folds[i]; }
          });
          var version = freshLayout.getAttribute("data-version");
          layout.setAttribute("data-version", version);
          document.querySelectorAll("input[name=version]").forEach(function (v) { v.value = version; });
          var banner = document.getElementById("stale-banner");
          if (banner) { banner.hidden = true; }
        })
        .catch(function () { markStale(); });
    };
    var refreshSoon = throttled(refreshPage, 2000);
    var ticketEvents = new EventSource("/agent/stream?ticket=" + number);
    ticketEvents.addEventListener("message", function (e) {
      var data = JSON.parse(e.data);
      refreshSoon();
      if (data.kind === "customer") { chime(); bumpTitle(); }
      announce(layout.getAttribute("data-new-label"));
    });
    ticketEvents.addEventListener("ticket", function (e) {
      var data = JSON.parse(e.data);
      if (data.version && String(data.version) === layout.getAttribute("data-version")) { return; }
      refreshSoon();
    });
    ticketEvents.addEventListener("reload", refreshSoon);
    ticketEvents.addEventListener("notified", notified);

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

  // ---- Canned responses: one box; picking a title inserts it at the cursor. ----
  var cannedData = document.getElementById("canned-data");
  var cannedBox = document.getElementById("canned");
  var replyBody = document.getElementById("body");
  if (cannedData && cannedBox && replyBody) {
    var canned = JSON.parse(cannedData.textContent || "[]");
    var insertButton = document.querySelector(".canned-picker .canned-insert");
    if (insertButton) { insertButton.hidden = true; }
    var cursor = { start: replyBody.value.length, end: replyBody.value.length };
    replyBody.addEventListener("blur", function () { cursor = { start: replyBody.selectionStart, end: replyBody.selectionEnd }; });
    var insert = function (hit) {
      var text = replyBody.value;
      replyBody.value = text.slice(0, cursor.start) + hit.body + text.slice(cursor.end);
      replyBody.focus();
      replyBody.selectionStart = replyBody.selectionEnd = cursor.start + hit.body.length;
      cannedBox.value = "";
    };
    var pick = function () {
      var q = cannedBox.value.trim().toLowerCase();
      return canned.filter(function (c) { return c.title.toLowerCase() === q; })[0];
    };
    cannedBox.addEventListener("input", function () { var hit = pick(); if (hit) { insert(hit); } });
    cannedBox.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") { return; }
      e.preventDefault();
      var q = cannedBox.value.trim().toLowerCase();
      var hit = pick() || canned.filter(function (c) { return q && c.title.toLowerCase().indexOf(q) >= 0; })[0];
      if (hit) { insert(hit); }
    });
  }

  // ---- Properties panel: each change is saved as it is made. ----
  // Delegated: live updates replace the panel with a fresh one.
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (e) {
    var form = e.target.closest && e.target.closest("form[data-autosave]");
    if (!form) { return; }
    // A transfer waits for its optional note and the button.
    if (e.target.name === "department" || e.target.tagName === "TEXTAREA") { form.classList.add("dirty"); return; }
    if (e.target.tagName === "SELECT") { if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); } }
  });

  // ---- The ticket page's sidebar: counts arrive after the ticket. ----
  if (document.querySelector(".ticket-sidebar .count[data-key]")) {
    fetch("/agent/counts", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (counts) {
        document.querySelectorAll(".ticket-sidebar .count[data-key]").forEach(function (el) {
          var n = counts[el.getAttribute("data-key")];
          if (n !== undefined) { el.textContent = n; }
        });
      })
      .catch(function () {});
  }

  // ---- Folding on narrow screens: the sidebar and the properties start folded. ----
  if (window.matchMedia && window.matchMedia("(max-width: 900px)").matches) {
    Array.prototype.forEach.call(document.querySelectorAll("details.fold-narrow"), function (d) { d.open = false; });
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
    // The physical key as well as the letter: with a Russian layout J types
    // "о", and the shortcuts must work all day for those agents too.
    var is = function (letter) { return e.key === letter || e.code === "Key" + letter.toUpperCase(); };
    if (is("j")) { select(current + 1); e.preventDefault(); }
    else if (is("k")) { select(current - 1); e.preventDefault(); }
    else if (e.key === "/" || (e.code === "Slash" && !e.shiftKey)) {
      var q = document.getElementById("q");
      if (q) {
        var box = q.closest("details");
        if (box) { box.open = true; }
        q.focus();
        e.preventDefault();
      }
    }
    else if (is("r")) {
      var tabReply = document.getElementById("tab-reply");
      if (tabReply && replyBody) { tabReply.checked = true; replyBody.focus(); e.preventDefault(); }
    } else if (is("n")) {
      var tabNote = document.getElementById("tab-note"), note = document.getElementById("note-body");
      if (tabNote && note) { tabNote.checked = true; note.focus(); e.preventDefault(); }
    } else if (is("a")) {
      var take = document.getElementById("take-ticket");
      if (take) { take.click(); e.preventDefault(); }
    } else if ((e.key === "?" || (e.code === "Slash" && e.shiftKey)) && dialog && dialog.showModal) { dialog.showModal(); e.preventDefault(); }
  });
})();
