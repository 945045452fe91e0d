/* Small behaviours of the after-sales pages: live countdowns to deadlines, reply templates, select-all. */
(function () {
  "use strict";

  function meta(name, fallback) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : fallback;
  }

  var OVERDUE = meta("as-overdue", "Overdue");
  var DAY = meta("as-day", "d");

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function span(ms) {
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400);
    s -= d * 86400;
    var h = Math.floor(s / 3600);
    s -= h * 3600;
    var m = Math.floor(s / 60);
    s -= m * 60;
    var clock = pad(h) + ":" + pad(m) + ":" + pad(s);
    return d > 0 ? d + DAY + " " + clock : clock;
  }

  // The server says what time it is where the deadline was computed (data-now); the countdown runs from
  // there with the browser's elapsed time, so a wrong browser clock does not skew it.
  function tick() {
    var nodes = document.querySelectorAll(".countdown[data-deadline]");
    var nowClient = Date.now();
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      if (!el._base) {
        el._base = { server: Date.parse(el.getAttribute("data-now")), client: nowClient };
      }
      var now = el._base.server + (nowClient - el._base.client);
      var left = Date.parse(el.getAttribute("data-deadline")) - now;
      if (isNaN(left)) { continue; }
      if (left <= 0) {
        el.classList.add("overdue");
        el.textContent = OVERDUE + " " + span(-left);
        var row = el.closest("tr");
        if (row) { row.classList.add("is-overdue"); }
      } else {
        el.classList.remove("overdue");
        el.textContent = span(left);
      }
    }
  }

  function wireTemplates(root) {
    var selects = root.querySelectorAll("select[data-fill]");
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener("change", function (ev) {
        var select = ev.target;
        var option = select.options[select.selectedIndex];
        var target = document.getElementById(select.getAttribute("data-fill"));
        if (target && option && option.getAttribute("data-text")) {
          target.value = option.getAttribute("data-text");
          target.focus();
        }
      });
    }
  }

  function wireSelectAll(root) {
    var boxes = root.querySelectorAll("input[data-select-all]");
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].addEventListener("change", function (ev) {
        var name = ev.target.getAttribute("data-select-all");
        var all = document.querySelectorAll('input[type=checkbox][name="' + name + '"]');
        for (var j = 0; j < all.length; j++) { all[j].checked = ev.target.checked; }
      });
    }
  }

  function scrollChat(root) {
    var logs = root.querySelectorAll(".chat-log");
    for (var i = 0; i < logs.length; i++) { logs[i].scrollTop = logs[i].scrollHeight; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    wireTemplates(document);
    wireSelectAll(document);
    scrollChat(document);
  });
  // A refreshed chat log follows new messages only when the reader was already at the bottom.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var el = ev.detail.target;
    el._atBottom = !el.classList.contains("chat-log") || el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  });
  document.addEventListener("htmx:afterSwap", function (ev) {
    tick();
    if (ev.detail.target._atBottom) { scrollChat(ev.detail.target.parentElement || document); }
  });
})();
