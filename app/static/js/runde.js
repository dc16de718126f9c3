/* Runde's only hand-written script (no framework; CSP script-src 'self').
 *
 * htmx and its WebSocket extension do the swapping. What htmx cannot do is here:
 * - reconnect with ?after=<the last seq this page applied>, so the server replays what was
 *   missed (the extension reconnects by itself but never replays);
 * - reload when the server answers {"type":"resync"} (too far behind);
 * - show the connection state, reveal the author's own edit controls on pushed cards,
 *   mark the current topic in re-rendered tabs, count characters while typing.
 */
(function () {
  "use strict";

  function currentSeq() {
    var marker = document.getElementById("live-seq");
    return marker ? marker.getAttribute("data-seq") : null;
  }

  if (window.htmx) {
    htmx.createWebSocket = function (url) {
      var target = new URL(url, window.location.href);
      var seq = currentSeq();
      if (seq !== null) target.searchParams.set("after", seq);
      var socket = new WebSocket(target.toString());
      socket.binaryType = htmx.config.wsBinaryType || "blob";
      return socket;
    };
  }

  var mine = new Set();

  function revealOwn(root) {
    var me = document.body.getAttribute("data-me");
    var cards = (root || document).querySelectorAll("[data-card]");
    cards.forEach(function (card) {
      var own = (me && card.getAttribute("data-author") === me) || mine.has(card.getAttribute("data-card"));
      var controls = card.querySelector(".own-controls");
      if (controls && own) controls.hidden = false;
    });
  }

  function markCurrentTopic() {
    var current = document.body.getAttribute("data-topic");
    document.querySelectorAll("#topic-tabs li[data-topic]").forEach(function (item) {
      var link = item.querySelector("a");
      if (!link) return;
      if (item.getAttribute("data-topic") === current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    if (document.body.getAttribute("data-waiting")) {
      var first = document.querySelector("#topic-tabs a");
      if (first) window.location.assign(first.getAttribute("href"));
    }
  }

  function setStatus(state) {
    var status = document.getElementById("live-status");
    if (!status) return;
    status.setAttribute("data-state", state);
    status.textContent = status.getAttribute(state === "online" ? "data-online" : "data-offline");
  }

  function updateCounter(textarea) {
    var counter = document.getElementById(textarea.getAttribute("aria-describedby").split(" ")[0]);
    var max = parseInt(textarea.getAttribute("data-max"), 10);
    if (!counter || !max) return;
    var length = textarea.value.trim().length;
    counter.textContent = length + " / " + max;
    counter.classList.toggle("over", length > max);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-max]")) updateCounter(event.target);
  });

  document.addEventListener("htmx:wsOpen", function () { setStatus("online"); });
  document.addEventListener("htmx:wsClose", function () { setStatus("offline"); });
  document.addEventListener("htmx:wsError", function () { setStatus("offline"); });

  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail.message;
    if (typeof message === "string" && message.charAt(0) === "{") {
      event.preventDefault();
      try {
        if (JSON.parse(message).type === "resync") window.location.reload();
      } catch (ignored) { /* not for us */ }
    }
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    revealOwn(document);
    markCurrentTopic();
  });

  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("[data-posted-card]").forEach(function (posted) {
      mine.add(posted.getAttribute("data-posted-card"));
    });
    revealOwn(document);
  });

  document.addEventListener("DOMContentLoaded", function () {
    revealOwn(document);
    document.querySelectorAll("textarea[data-max]").forEach(updateCounter);
  });
})();
