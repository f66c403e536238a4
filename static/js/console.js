// Planner console behaviour on every console page (no inline script under the CSP).
"use strict";

document.documentElement.classList.add("weft-js");

// A refused request (4xx) names the field and value: show it above the page instead of dropping it.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status >= 400 && status < 500) {
    var alerts = document.getElementById("console-alerts");
    if (alerts) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      event.detail.target = alerts;
      event.detail.swapOverride = "innerHTML";
    }
  }
});
