/* The report page: move topics and sections up and down without reloading the page.
 *
 * Without this script the up/down buttons submit the form (the server moves the row and
 * saves); with it they move the row in place, keep the keyboard focus on the moved row and
 * announce its new position. The order is sent with the next save (hidden inputs move along).
 */
(function () {
  "use strict";

  function refresh(list) {
    var items = list.querySelectorAll(":scope > .order-item");
    items.forEach(function (item, index) {
      item.querySelector('[data-move="up"]').disabled = index === 0;
      item.querySelector('[data-move="down"]').disabled = index === items.length - 1;
    });
    return items;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-move]");
    if (!button) return;
    event.preventDefault();
    var item = button.closest(".order-item");
    var list = item.parentElement;
    var up = button.getAttribute("data-move") === "up";
    var sibling = up ? item.previousElementSibling : item.nextElementSibling;
    if (!sibling) return;
    list.insertBefore(up ? item : sibling, up ? sibling : item);
    var items = Array.prototype.slice.call(refresh(list));
    var focus = button.disabled ? item.querySelector(up ? '[data-move="down"]' : '[data-move="up"]') : button;
    focus.focus();
    var status = document.getElementById("order-status");
    if (status) {
      var label = item.querySelector(".order-label").textContent;
      status.textContent = (status.getAttribute("data-template") || "{name}: {position} / {count}")
        .replace("{name}", label)
        .replace("{position}", String(items.indexOf(item) + 1))
        .replace("{count}", String(items.length));
    }
    var form = item.closest("form");
    if (form) form.setAttribute("data-dirty", "true");
  });
})();
