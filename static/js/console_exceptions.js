// The exception workbench: keyboard moves (j/k, x, Enter, a, /), row selection for bulk steps.
"use strict";

(function () {
  var current = null;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#exception-rows tr.weft-exc-row"));
  }

  function mark(row) {
    if (current) current.classList.remove("weft-row-current");
    current = row;
    if (!row) return;
    row.classList.add("weft-row-current");
    row.scrollIntoView({ block: "nearest" });
    var link = row.querySelector(".weft-exc-link");
    if (link) link.focus({ preventScroll: true });
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = current ? all.indexOf(current) : -1;
    if (index === -1 && current) current = null;
    var next = all[Math.min(Math.max(index + step, 0), all.length - 1)];
    mark(next);
  }

  function selectedCount() {
    var checked = document.querySelectorAll("#exception-rows .weft-row-check:checked").length;
    var label = document.querySelector(".weft-selected-count");
    if (label) label.textContent = checked + " selected";
    var bar = document.querySelector(".weft-bulk-bar");
    if (bar) bar.classList.toggle("weft-has-selection", checked > 0);
    rows().forEach(function (row) {
      var box = row.querySelector(".weft-row-check");
      row.classList.toggle("weft-row-selected", !!(box && box.checked));
    });
  }

  function typing(target) {
    var tag = target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      // Escape leaves the field for the j/k keys; in the search box it must not also clear the search.
      if (event.key === "Escape") { event.preventDefault(); event.target.blur(); }
      return;
    }
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
    else if (event.key === "x" && current) {
      var box = current.querySelector(".weft-row-check");
      if (box && !box.disabled) { box.checked = !box.checked; selectedCount(); }
      event.preventDefault();
    } else if ((event.key === "Enter" || event.key === "o") && current) {
      var link = current.querySelector(".weft-exc-link");
      if (link) link.click();
      event.preventDefault();
    } else if (event.key === "a") {
      var ack = document.querySelector("#exception-panel .weft-ack-button:not([disabled])");
      if (ack) { ack.click(); event.preventDefault(); }
    } else if (event.key === "/") {
      var search = document.getElementById("filter-q");
      if (search) { search.focus(); search.select(); event.preventDefault(); }
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.classList.contains("weft-select-all")) {
      document.querySelectorAll("#exception-rows .weft-row-check:not([disabled])").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.classList.contains("weft-row-check") || event.target.classList.contains("weft-select-all")) {
      selectedCount();
    }
  });

  // Opening a row by mouse makes it the keyboard's current row too.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".weft-exc-link");
    if (link) mark(link.closest("tr"));
  });

  // A new answer in the panel starts at its situation box, where the outcome shows.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "exception-panel") {
      event.detail.target.scrollTop = 0;
    }
  });

  // After the list is swapped, keep the current row if it is still there.
  document.addEventListener("htmx:afterSettle", function () {
    if (current && current.id) {
      var again = document.getElementById(current.id);
      if (again) { current = again; again.classList.add("weft-row-current"); }
      else current = null;
    }
    selectedCount();
  });
})();
