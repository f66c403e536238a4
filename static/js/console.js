// Planner console behaviour; loaded on every console page (no inline script under the CSP).
"use strict";
