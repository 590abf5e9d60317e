// The knowledge site's only script: show one language at a time (remembered across pages)
// and show Discord-style times in the reader's own time zone, as the Discord client does.
// Without it every language is shown, one after the other, and times are in UTC.
(function () {
  "use strict";
  var root = document.documentElement;
  var available = (root.getAttribute("data-locales") || "").split(" ").filter(Boolean);
  var fallback = root.getAttribute("data-default-locale") || available[0];
  var KEY = "activation-check-site-locale";

  function stored() {
    try {
      return window.localStorage.getItem(KEY);
    } catch (e) {
      return null;
    }
  }

  function remember(tag) {
    try {
      window.localStorage.setItem(KEY, tag);
    } catch (e) {
      /* Storage may be off; the choice then lasts for this page only. */
    }
  }

  // The reader's first language we have: exact tag, then the same language.
  function preferred() {
    var saved = stored();
    if (saved && available.indexOf(saved) >= 0) {
      return saved;
    }
    var wanted = navigator.languages || [navigator.language || ""];
    for (var i = 0; i < wanted.length; i++) {
      var w = String(wanted[i]);
      if (available.indexOf(w) >= 0) {
        return w;
      }
      for (var j = 0; j < available.length; j++) {
        if (available[j].split("-")[0] === w.split("-")[0]) {
          return available[j];
        }
      }
    }
    return fallback;
  }

  function localTimes(block, tag) {
    var times = block.querySelectorAll("time[data-discord-time]");
    for (var i = 0; i < times.length; i++) {
      var when = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(when.getTime())) {
        times[i].textContent = when.toLocaleString(tag, { dateStyle: "full", timeStyle: "short" });
      }
    }
  }

  function show(tag) {
    var blocks = document.querySelectorAll(".l10n[data-locale]");
    for (var i = 0; i < blocks.length; i++) {
      var mine = blocks[i].getAttribute("data-locale") === tag;
      blocks[i].hidden = !mine;
      if (mine) {
        localTimes(blocks[i], tag);
      }
    }
    var buttons = document.querySelectorAll("[data-set-locale]");
    for (var k = 0; k < buttons.length; k++) {
      buttons[k].setAttribute("aria-pressed", String(buttons[k].getAttribute("data-set-locale") === tag));
    }
    root.lang = tag;
    root.setAttribute("data-locale", tag);
    var heading = document.querySelector(".l10n[data-locale=\"" + tag + "\"] h1");
    if (heading) {
      document.title = heading.textContent;
    }
  }

  // A tree wider than the page opens scrolled to its first question.
  function centreTree() {
    var frame = document.querySelector(".tree-frame");
    var first = frame && frame.querySelector("g[data-start] rect");
    if (first && frame.scrollWidth > frame.clientWidth) {
      var box = first.getBoundingClientRect();
      var outer = frame.getBoundingClientRect();
      frame.scrollLeft += box.left + box.width / 2 - (outer.left + outer.width / 2);
    }
  }

  function start() {
    var nav = document.querySelector(".locale-switch");
    if (nav) {
      nav.hidden = false;
      nav.addEventListener("click", function (event) {
        var button = event.target.closest("[data-set-locale]");
        if (button) {
          var tag = button.getAttribute("data-set-locale");
          remember(tag);
          show(tag);
        }
      });
    }
    show(preferred());
    centreTree();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
