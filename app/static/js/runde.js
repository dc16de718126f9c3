/* Runde's only hand-written script (no framework; CSP script-src 'self').
 *
 * htmx and its WebSocket extension do the swapping. What htmx cannot do is here:
 * - reconnect with ?after=<the last seq this page applied>, so the server replays what was
 *   missed (the extension reconnects by itself but never replays);
 * - reload when the server answers {"type":"resync"} (too far behind);
 * - show the connection state, reveal the author's own edit controls on pushed cards,
 *   mark the current topic in re-rendered tabs, count characters while typing;
 * - paint the participant's own dots and ratings (#my-state) into shared fragments;
 * - keep keyboard focus, and a rating chosen but not saved yet, when a live swap replaces them
 *   (focus that had nowhere to stay goes to the nearest heading that is still there);
 * - speak live news (new cards, a new phase) in one polite region, throttled and summarised;
 * - count the phase timer down between server updates;
 * - drag cards between clusters (sortable.js, by the card's handle) for pointer users: the
 *   same request as the keyboard "Move to" menu; the arrow keys on a handle move the card up
 *   or down its list;
 * - keep the moderator's card selection (checkboxes) across live swaps, count it, clear it
 *   after a bulk action; filter the board and the merge dialog by a search text; fetch the
 *   duplicate suggestions again after live changes;
 * - on the projector, follow the room's topic (#room-state), page the room view ("2 / 3", turning
 *   by itself; keys → ← PageUp PageDown), shrink the join code to a corner (J calls it back),
 *   switch to high contrast (K) and list these keys (? or the "Keys" button, Escape closes);
 * - on a participant's board, follow the room to its topic, unless the person is typing or
 *   went to another topic on purpose: then offer "back to the room" instead; announce it
 *   politely; keep every typed text (compose, reasons) as a draft across pages;
 * - unfold a rating's reason when the level needs one (serious concerns, block) or it has text.
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

  function readState() {
    var el = document.getElementById("my-state");
    if (!el) return null;
    try {
      return {
        dots: JSON.parse(el.getAttribute("data-dots") || "{}"),
        left: el.getAttribute("data-left"),
        ratings: JSON.parse(el.getAttribute("data-ratings") || "{}")
      };
    } catch (ignored) { return null; }
  }

  function paintState() {
    var state = readState();
    if (!state) return;
    document.querySelectorAll(".my-dots[data-item]").forEach(function (el) {
      var n = el.querySelector(".my-dots-n");
      if (n) n.textContent = String(state.dots[el.getAttribute("data-item")] || 0);
    });
    document.querySelectorAll(".dots-left").forEach(function (el) {
      if (state.left !== null && state.left !== "") el.textContent = state.left;
    });
    document.querySelectorAll("form.rate").forEach(function (form) {
      if (form.contains(document.activeElement)) return;  // the person is choosing right now
      var level = state.ratings[form.id.replace(/^rate-/, "")];
      if (!level) return;
      var radio = form.querySelector('input[name="level"][value="' + level + '"]');
      if (radio && !form.querySelector('input[name="level"]:checked')) radio.checked = true;
    });
  }

  // What a live swap may replace under the person's hands: the focused element (found again by
  // id, or a radio button by its form, name and value) and every rating form's unsaved choice,
  // reason and "saved" note, so that a push arriving mid-choice neither moves focus nor
  // silently submits an empty rating.
  var focused = null;
  var drafts = [];
  var scrolled = [];
  function captureFocus() {
    var active = document.activeElement;
    focused = null;
    if (active && active !== document.body) {
      var places = [];
      for (var up = active.parentElement; up && up !== document.body; up = up.parentElement) {
        if (up.id) places.push(up.id);
      }
      focused = { id: active.id || null, form: active.form ? active.form.id : null,
                  name: active.name || null, value: active.value, submit: active.type === "submit",
                  index: active.form ? controls(active.form).indexOf(active) : -1,
                  places: places };
    }
    scrolled = [];
    document.querySelectorAll(".table-scroll[id]").forEach(function (box) {
      if (box.scrollLeft || box.scrollTop) scrolled.push({ id: box.id, left: box.scrollLeft, top: box.scrollTop });
    });
  }
  document.addEventListener("htmx:wsBeforeMessage", function () {
    captureFocus();
    drafts = [];
    document.querySelectorAll("form.rate[id]").forEach(function (form) {
      var checked = form.querySelector('input[name="level"]:checked');
      var reason = form.querySelector('textarea[name="reason"]');
      var status = form.querySelector(".status");
      drafts.push({ form: form, level: checked ? checked.value : null, reason: reason ? reason.value : null,
                    status: status ? status.textContent : "" });
    });
  });

  function restoreDrafts() {
    drafts.forEach(function (draft) {
      var form = document.getElementById(draft.form.id);
      if (!form || form === draft.form) return;  // gone, or not replaced
      if (draft.level) {
        var radio = form.querySelector('input[name="level"][value="' + draft.level + '"]');
        if (radio) radio.checked = true;
      }
      var reason = form.querySelector('textarea[name="reason"]');
      if (reason && draft.reason !== null) reason.value = draft.reason;
      var status = form.querySelector(".status");
      if (status && !status.textContent.trim() && draft.status.trim()) status.textContent = draft.status;
    });
    drafts = [];
  }

  // A form's controls but hidden inputs (a page's forms carry a CSRF field, pushed ones do not).
  function controls(form) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.type !== "hidden"; });
  }

  function restoreFocus() {
    if (!focused) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    var again = focused.id ? document.getElementById(focused.id) : null;
    var form = focused.form ? document.getElementById(focused.form) : null;
    if (!again && form && focused.name) {
      again = Array.prototype.find.call(form.elements, function (el) {
        return el.name === focused.name && el.value === focused.value;
      });
    }
    if (!again && form && focused.submit) again = form.querySelector("[type=submit]");
    if (!again && focused.form && focused.index >= 0) {
      var sameForm = document.getElementById(focused.form);
      again = sameForm && controls(sameForm)[focused.index];
    }
    if (!again) again = nearestHeading(focused.places);
    if (!again) return;
    if (again.matches("h1, h2, h3") && !again.hasAttribute("tabindex")) again.setAttribute("tabindex", "-1");
    again.focus({ preventScroll: true });
  }

  // The focused control went with the swap (e.g. a new phase replaced the board): the heading
  // of the closest part of the page that is still there, so keyboard and screen reader users
  // go on from where they were instead of from the top of the page.
  function nearestHeading(places) {
    for (var i = 0; i < places.length; i++) {
      var place = document.getElementById(places[i]);
      if (!place) continue;
      var heading = place.matches("h1, h2, h3") ? place : place.querySelector("h1, h2, h3");
      var target = heading || place;
      if (!target.hasAttribute("tabindex") && !target.matches("a[href], button, input, select, textarea, summary")) {
        target.setAttribute("tabindex", "-1");
      }
      return target;
    }
    return null;
  }

  function restoreScroll() {
    scrolled.forEach(function (was) {
      var box = document.getElementById(was.id);
      if (box) { box.scrollLeft = was.left; box.scrollTop = was.top; }
    });
    scrolled = [];
  }

  // Live news (_live_news.html): pushes append <p data-news> to the hidden #live-news. They are
  // gathered for a moment and spoken in the one polite region, at most once every NEWS_GAP ms:
  // one new card with its text, several as "3 new cards", a phase only when it changed. The
  // region itself is never replaced (a swapped live region is not reliably spoken).
  var NEWS_GAP = 4000;
  var NEWS_GATHER = 800;
  var news = { cards: [], phase: null };
  var spokenAt = 0;
  var newsTimer = null;
  var lastPhase = null;

  function takeNews() {
    var inbox = document.getElementById("live-news");
    if (!inbox) return;
    var me = document.body.getAttribute("data-me");
    Array.prototype.slice.call(inbox.children).forEach(function (item) {
      inbox.removeChild(item);
      var kind = item.getAttribute("data-news");
      if (kind === "card" && !(me && item.getAttribute("data-author") === me)) news.cards.push(item);
      if (kind === "phase") {
        var phase = item.getAttribute("data-phase");
        if (phase !== lastPhase) news.phase = item;
        lastPhase = phase;
      }
    });
    if ((news.cards.length || news.phase) && !newsTimer) {
      newsTimer = window.setTimeout(speakNews, Math.max(NEWS_GATHER, spokenAt + NEWS_GAP - Date.now()));
    }
  }

  function speakNews() {
    newsTimer = null;
    var region = document.getElementById("live-announce");
    if (!region) return;
    var parts = [];
    if (news.phase) parts.push(news.phase);
    if (news.cards.length === 1) parts.push(news.cards[0]);
    else if (news.cards.length > 1) {
      var summary = document.createElement("p");
      summary.textContent = (region.getAttribute("data-many") || "{n}").replace("{n}", String(news.cards.length));
      parts.push(summary);
    }
    news = { cards: [], phase: null };
    if (!parts.length) return;
    region.replaceChildren.apply(region, parts);
    spokenAt = Date.now();
  }

  function initialPhase() {
    var board = document.querySelector("section.board[class*='phase-']");
    var match = board && /(?:^|\s)phase-(\w+)/.exec(board.className);
    lastPhase = match ? match[1] : null;
  }

  var timers = new Map();
  function startTimers() {
    document.querySelectorAll(".timer[data-remaining]").forEach(function (el) {
      var remaining = parseInt(el.getAttribute("data-remaining"), 10);
      timers.set(el.id, { deadline: Date.now() + remaining * 1000, running: el.getAttribute("data-running") === "1" });
    });
  }
  function tick() {
    timers.forEach(function (timer, id) {
      var el = document.getElementById(id);
      var value = el && el.querySelector(".timer-value");
      if (!value || !timer.running) return;
      var left = Math.max(0, Math.round((timer.deadline - Date.now()) / 1000));
      var text = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (value.textContent !== text) value.textContent = text;
      el.classList.toggle("is-ending", left <= 60);
    });
  }
  window.setInterval(tick, 1000);

  function setUpSortable() {
    if (!window.Sortable) return;
    document.querySelectorAll("ol[data-sortable]").forEach(function (list) {
      if (list.getAttribute("data-sortable-ready")) return;
      list.setAttribute("data-sortable-ready", "1");
      window.Sortable.create(list, {
        group: "clusters",
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 120,
        // Only the handle starts a drag, so the card's checkbox, menu and buttons work as ever.
        handle: "[data-drag-handle]",
        onEnd: function (event) {
          var card = event.item.getAttribute("data-card");
          if (!card) return;
          moveCard(card, event.to, event.newIndex);
        }
      });
    });
  }

  function moveCard(card, list, index) {
    htmx.ajax("POST", "/m/cards/" + card + "/move", {
      source: document.body,
      swap: "none",
      values: { cluster_id: list.getAttribute("data-cluster") || "", position: String(index) }
    });
  }

  // Keyboard equivalent of dragging within a list: arrow up/down on a card's handle.
  document.addEventListener("keydown", function (event) {
    var handle = event.target.closest && event.target.closest("[data-drag-handle]");
    if (!handle || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    var item = handle.closest("[data-card]");
    var list = item && item.parentElement;
    if (!list || !list.hasAttribute("data-sortable")) return;
    event.preventDefault();
    var items = Array.prototype.filter.call(list.children, function (el) { return el.hasAttribute("data-card"); });
    var index = items.indexOf(item) + (event.key === "ArrowUp" ? -1 : 1);
    if (index < 0 || index >= items.length) return;
    if (event.key === "ArrowUp") list.insertBefore(item, items[index]);
    else list.insertBefore(item, items[index].nextSibling);
    handle.focus();
    moveCard(item.getAttribute("data-card"), list, index);
  });

  // The moderator's selection: checkboxes in the cards, owned by the bulk form through form=.
  var picked = new Set();
  function paintSelection() {
    document.querySelectorAll("input[data-pick]").forEach(function (box) {
      box.checked = picked.has(box.value);
    });
    document.querySelectorAll("[data-bulk-count]").forEach(function (el) { el.textContent = String(picked.size); });
    document.querySelectorAll("[data-bulk-clear]").forEach(function (el) { el.hidden = picked.size === 0; });
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-pick]")) return;
    if (box.checked) picked.add(box.value); else picked.delete(box.value);
    paintSelection();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-bulk-clear]")) { picked.clear(); paintSelection(); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest(".bulk-bar");
    if (form && event.detail.successful) {
      picked.clear();
      var title = form.querySelector('input[name="title"]');
      if (title) title.value = "";
      paintSelection();
    }
  });

  // Find cards: hide every card (or merge candidate) whose text does not contain the words.
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function applyFilter(input) {
    var root = document.getElementById(input.getAttribute("data-filter"));
    if (!root) return;
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    var items = root.querySelectorAll("[data-card], [data-candidate]");
    var shown = 0;
    items.forEach(function (item) {
      var parts = item.querySelectorAll(".card-text, .card-meta, .candidate-text");
      var text = fold(Array.prototype.map.call(parts, function (p) { return p.textContent; }).join(" "));
      var hit = words.every(function (w) { return text.indexOf(w) !== -1; });
      item.hidden = !hit;
      if (hit) shown += 1;
    });
    var count = document.getElementById((input.getAttribute("aria-describedby") || "").split(" ")[0]);
    if (count) count.textContent = words.length ? shown + " / " + items.length : "";
  }
  function applyFilters() {
    document.querySelectorAll("[data-filter-box]").forEach(function (box) { box.hidden = false; });
    document.querySelectorAll("input[data-filter]").forEach(applyFilter);
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-filter]")) applyFilter(event.target);
  });

  // The moderator's suggestions panel follows the board: fetched again a moment after live
  // changes (not while the moderator is working inside it).
  var suggestionsTimer = null;
  function refreshSuggestions() {
    var panel = document.querySelector(".suggestions-panel[id]");
    if (!panel || !window.htmx) return;
    window.clearTimeout(suggestionsTimer);
    suggestionsTimer = window.setTimeout(function () {
      var again = document.getElementById(panel.id);
      if (!again || again.contains(document.activeElement)) return;
      var topic = again.id.replace(/^suggestions-/, "");
      htmx.ajax("GET", "/m/topics/" + topic + "/suggestions", { target: "#" + again.id, swap: "outerHTML" });
    }, 1500);
  }

  function roomState() {
    var el = document.getElementById("room-state");
    if (!el) return null;
    return { topic: el.getAttribute("data-topic") || "", title: el.getAttribute("data-title") || "",
             phase: el.getAttribute("data-phase") || "", phaseLabel: el.getAttribute("data-phase-label") || "" };
  }

  function followProjector() {
    var follow = document.body.getAttribute("data-follow");
    var room = roomState();
    if (!follow || !room) return;
    if (room.topic && room.topic !== document.body.getAttribute("data-topic")) window.location.assign(follow + room.topic);
  }

  // --- drafts: typed text survives a live swap, a follow to another topic and a reload --------
  var DRAFT = "runde-draft:";
  function draftable(el) {
    return el && el.id && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text"));
  }
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (!draftable(el)) return;
    try {
      if (el.value.trim()) sessionStorage.setItem(DRAFT + el.id, el.value);
      else sessionStorage.removeItem(DRAFT + el.id);
    } catch (ignored) { /* storage off: the draft lives only in the page */ }
  });
  function restoreTyped(root) {
    (root || document).querySelectorAll("textarea[id], input[type=text][id]").forEach(function (el) {
      var draft = null;
      try { draft = sessionStorage.getItem(DRAFT + el.id); } catch (ignored) { return; }
      if (draft && !el.value.trim()) {
        el.value = draft;
        if (el.matches("textarea[data-max]")) updateCounter(el);
      }
    });
  }
  // The reason of a rating is folded; it opens where it is needed (serious concerns, block)
  // or already has text (typed, kept as a draft, saved).
  var NEEDS_REASON = ["concerns", "block"];
  function openReasons(root) {
    (root || document).querySelectorAll("form.rate details.rate-reason").forEach(function (details) {
      var form = details.closest("form");
      var level = form && form.querySelector("input[name=level]:checked");
      var text = details.querySelector("textarea");
      if ((level && NEEDS_REASON.indexOf(level.value) >= 0) || (text && text.value.trim())) details.open = true;
    });
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("form.rate input[name=level]")) openReasons(input.closest("form"));
  });
  function forgetTyped(root) {
    (root || document).querySelectorAll("textarea[id]").forEach(function (el) {
      try { sessionStorage.removeItem(DRAFT + el.id); } catch (ignored) { /* nothing kept */ }
    });
  }

  function announce(text) {
    var region = document.getElementById("live-announce");
    if (!region || !text) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 150);
  }

  // --- a participant follows the room ---------------------------------------------------------
  var followsRoom = null;  // decided once per page: was this page the room's topic when it opened?
  var lastRoom = null;
  function typing() {
    var active = document.activeElement;
    if (active && (active.tagName === "TEXTAREA" || (active.tagName === "INPUT" && active.type === "text"))) return true;
    return Array.prototype.some.call(document.querySelectorAll(".compose textarea, form.rate textarea"), function (el) {
      return el.value.trim() !== "" && el.value !== el.defaultValue;
    });
  }
  function followRoom() {
    var base = document.body.getAttribute("data-room-follow");
    var room = roomState();
    if (!base || !room) return;
    var here = document.body.getAttribute("data-topic");
    if (followsRoom === null) followsRoom = !room.topic || room.topic === here;
    var banner = document.getElementById("room-return");
    var previous = lastRoom;
    lastRoom = room;
    if (!room.topic || room.topic === here) {
      if (banner) banner.hidden = true;
      followsRoom = true;  // a new phase here is announced with the board's news (#live-news)
      return;
    }
    if (previous && previous.topic === room.topic) return;  // nothing new about the room
    if (followsRoom && !typing()) {
      try { sessionStorage.setItem("runde-moved", room.title); } catch (ignored) { /* no announcement then */ }
      window.location.assign(base + room.topic);
      return;
    }
    if (!banner) return;
    banner.querySelector(".room-return-title").textContent = room.title;
    document.getElementById("room-return-link").setAttribute("href", base + room.topic);
    if (previous) announce(banner.getAttribute("data-moved") + " " + room.title);
    banner.hidden = false;
  }

  // --- the projector's room view: pages, join code, contrast ------------------------------------
  var PAGE_MS = 12000;
  var roomPage = 0;
  var roomPages = 1;
  var roomTimer = null;
  var joinChoice = null;  // the moderator's J overrides what the room view proposes

  function paginateRoom() {
    var stage = document.querySelector("[data-room-stage]");
    var pager = document.getElementById("room-pager");
    if (!stage || !pager) return;
    var items = Array.prototype.slice.call(stage.querySelectorAll(".room-item"));
    items.forEach(function (item) { item.hidden = false; });
    var height = stage.clientHeight;
    var page = 0;
    var start = null;
    var stageTop = stage.getBoundingClientRect().top;
    items.forEach(function (item) {
      var box = item.getBoundingClientRect();
      var top = box.top - stageTop;
      if (start === null) start = top;
      if (box.bottom - stageTop - start > height && top > start) { page += 1; start = top; }
      item.setAttribute("data-page", String(page));
    });
    roomPages = page + 1;
    if (roomPage >= roomPages) roomPage = 0;
    showRoomPage();
  }
  function showRoomPage() {
    var stage = document.querySelector("[data-room-stage]");
    var pager = document.getElementById("room-pager");
    if (!stage || !pager) return;
    stage.querySelectorAll(".room-item").forEach(function (item) {
      item.hidden = item.getAttribute("data-page") !== String(roomPage);
    });
    pager.hidden = roomPages < 2;
    pager.querySelector(".room-pager-n").textContent = (roomPage + 1) + " / " + roomPages;
  }
  function turnRoomPage(step) {
    if (roomPages < 2) return;
    roomPage = (roomPage + step + roomPages) % roomPages;
    showRoomPage();
    window.clearInterval(roomTimer);
    roomTimer = window.setInterval(function () { turnRoomPage(1); }, PAGE_MS);
  }
  function applyJoin() {
    var room = document.querySelector(".room[data-join]");
    var box = document.getElementById("projector-join");
    var toggle = document.getElementById("room-join-toggle");
    if (!room || !box) return;
    var large = joinChoice !== null ? joinChoice : room.getAttribute("data-join") === "large";
    document.body.classList.toggle("join-large", large);
    if (toggle) toggle.setAttribute("aria-expanded", large ? "true" : "false");
  }
  function applyContrast(on) {
    document.body.classList.toggle("room-contrast", on);
    var button = document.getElementById("room-contrast");
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
    try { localStorage.setItem("runde-contrast", on ? "1" : ""); } catch (ignored) { /* not kept */ }
  }
  function setUpRoom() {
    if (!document.querySelector(".room")) return;
    var contrast = false;
    try { contrast = localStorage.getItem("runde-contrast") === "1"; } catch (ignored) { /* default */ }
    applyContrast(contrast);
    applyJoin();
    paginateRoom();
    roomTimer = window.setInterval(function () { turnRoomPage(1); }, PAGE_MS);
    window.addEventListener("resize", paginateRoom);
    var joinToggle = document.getElementById("room-join-toggle");
    if (joinToggle) joinToggle.addEventListener("click", function () {
      joinChoice = !document.body.classList.contains("join-large");
      applyJoin();
      paginateRoom();
    });
    var contrastToggle = document.getElementById("room-contrast");
    if (contrastToggle) contrastToggle.addEventListener("click", function () {
      applyContrast(!document.body.classList.contains("room-contrast"));
    });
    var keysToggle = document.getElementById("room-keys-toggle");
    var keysPanel = document.getElementById("room-keys");
    function showKeys(open) {
      if (!keysToggle || !keysPanel) return;
      keysPanel.hidden = !open;
      keysToggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    if (keysToggle) keysToggle.addEventListener("click", function () { showKeys(keysPanel.hidden); });
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target && event.target.matches && event.target.matches("input, textarea, select")) return;
      var key = event.key;
      if (key === "ArrowRight" || key === "PageDown") { turnRoomPage(1); event.preventDefault(); }
      else if (key === "ArrowLeft" || key === "PageUp") { turnRoomPage(-1); event.preventDefault(); }
      else if (key === "j" || key === "J") { if (joinToggle) joinToggle.click(); }
      else if (key === "k" || key === "K") { if (contrastToggle) contrastToggle.click(); }
      else if (key === "?") { if (keysToggle) keysToggle.click(); }
      else if (key === "Escape") showKeys(false);
    });
  }

  function afterLiveChange() {
    takeNews();
    restoreDrafts();
    restoreTyped(document);
    openReasons(document);
    revealOwn(document);
    markCurrentTopic();
    paintState();
    restoreFocus();
    restoreScroll();
    startTimers();
    tick();
    setUpSortable();
    paintSelection();
    applyFilters();
    refreshSuggestions();
    followProjector();
    followRoom();
    if (document.querySelector(".room")) { applyJoin(); paginateRoom(); }
  }

  document.addEventListener("htmx:wsAfterMessage", afterLiveChange);

  document.addEventListener("htmx:afterSwap", function (event) {
    document.querySelectorAll("[data-posted-card]").forEach(function (posted) {
      mine.add(posted.getAttribute("data-posted-card"));
    });
    var swapped = event.detail && event.detail.target;
    if (swapped && swapped.isConnected) { restoreTyped(swapped); openReasons(swapped); }
    restoreFocus();
    revealOwn(document);
    paintState();
    startTimers();
    setUpSortable();
    paintSelection();
    applyFilters();
  });

  // A posted card or a saved rating is no draft any more; a refused one keeps its text.
  document.addEventListener("htmx:beforeSwap", function (event) {
    captureFocus();
    var config = event.detail && event.detail.requestConfig;
    var form = config && config.elt;
    if (event.detail.xhr && event.detail.xhr.status < 300 && form && form.tagName === "FORM") forgetTyped(form);
  });

  document.addEventListener("DOMContentLoaded", function () {
    initialPhase();
    revealOwn(document);
    paintState();
    startTimers();
    tick();
    setUpSortable();
    document.querySelectorAll("input[data-pick]:checked").forEach(function (box) { picked.add(box.value); });
    paintSelection();
    applyFilters();
    restoreTyped(document);
    openReasons(document);
    document.querySelectorAll("textarea[data-max]").forEach(updateCounter);
    followRoom();
    setUpRoom();
    var moved = null;
    try { moved = sessionStorage.getItem("runde-moved"); sessionStorage.removeItem("runde-moved"); } catch (ignored) { /* none */ }
    var banner = document.getElementById("room-return");
    if (moved && banner) window.setTimeout(function () { announce(banner.getAttribute("data-moved") + " " + moved); }, 600);
    // Phones: the guiding questions fold, so the phase's action comes first.
    if (window.matchMedia && window.matchMedia("(max-width: 40rem)").matches && document.body.getAttribute("data-room-follow")) {
      document.querySelectorAll("details.guiding[open]").forEach(function (details) { details.open = false; });
    }
  });
})();
