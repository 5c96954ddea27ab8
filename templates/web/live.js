/* Live refresh for the portfolio, a release page and the inbox (sec-release's own script; no
 * library). The page works without it: every region is server-rendered. With it, the page is
 * read again every 30 seconds and each region marked `data-live` (with an id) whose content
 * changed is swapped in place, without a reload:
 * - never while the person is typing: a refresh waits while the focus is in a form field or a
 *   field was typed in during the last interval, and a region holding the focus is left alone
 *   (focus is never moved);
 * - the change is announced politely (the `aria-live` region `#live-status`), and highlighted
 *   briefly unless the person prefers reduced motion;
 * - nothing is read while the tab is hidden; a signed-out session stops the refresh and says so.
 */
(function () {
  "use strict";
  var SECONDS = 30;
  var regions = document.querySelectorAll("[data-live][id]");
  var status = document.getElementById("live-status");
  if (!regions.length || !status || !window.fetch || !window.DOMParser) {
    return;
  }
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  var lastTyped = 0;
  var stopped = false;
  var due = false;

  document.addEventListener("input", function (event) {
    if (event.target && event.target.closest && event.target.closest("form")) {
      lastTyped = Date.now();
    }
  }, true);

  function typing() {
    var active = document.activeElement;
    var inField = active && active.closest && active.closest("form") &&
      /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
    return Boolean(inField) || Date.now() - lastTyped < SECONDS * 1000;
  }

  function announce(text) {
    status.textContent = text;
  }

  function clock() {
    var now = new Date();
    return String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
  }

  function swap(fresh) {
    var changed = [];
    Array.prototype.forEach.call(regions, function (region) {
      var next = fresh.getElementById(region.id);
      if (!next || next.innerHTML === region.innerHTML) {
        return;
      }
      if (region.contains(document.activeElement) || region.querySelector("form") ||
          next.querySelector("form")) {
        return; // the person is there, or a form would lose what was typed in it
      }
      region.innerHTML = next.innerHTML;
      if (region.getAttribute("data-live")) {
        changed.push(region.getAttribute("data-live")); // data-live="": swapped, not announced
      }
      if (!(reduceMotion && reduceMotion.matches)) {
        region.classList.remove("live-updated");
        void region.offsetWidth; // restart the highlight
        region.classList.add("live-updated");
      }
    });
    if (changed.length) {
      announce("Updated at " + clock() + ": " + changed.join(", ") + ".");
    }
  }

  function refresh() {
    if (stopped) {
      return;
    }
    if (document.hidden || typing()) {
      due = true;
      return;
    }
    due = false;
    fetch(window.location.href, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "text/html", "X-Live-Refresh": "1" }
    }).then(function (response) {
      if (response.redirected && new URL(response.url).pathname === "/signin") {
        stopped = true;
        announce("Your session has ended: the page is no longer refreshed; reload it to sign in again.");
        return null;
      }
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html) {
        swap(new DOMParser().parseFromString(html, "text/html"));
      }
    }).catch(function () {
      /* the front door did not answer: try again at the next interval */
    });
  }

  window.setInterval(refresh, SECONDS * 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && due) {
      refresh();
    }
  });
}());
