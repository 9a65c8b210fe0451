/* Draws every chart of the page: an element with data-chart="<id>" gets the Plotly figure
   stored as JSON in the <script type="application/json" id="<id>"> block (data, not code: the
   CSP allows no inline script). Loaded with `defer` after plotly.min.js.

   Once a chart is drawn its title is in the picture, so the heading above it (data-heading) is
   hidden from sight but kept for screen readers; without JavaScript it stays visible. */
(function () {
  "use strict";

  function draw(container) {
    var source = document.getElementById(container.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(container, figure.data, figure.layout, {
      displaylogo: false,
      responsive: true
    }).then(function () {
      var heading = document.getElementById(container.getAttribute("data-heading"));
      if (heading) {
        heading.classList.add("visually-hidden");
      }
    });
  }

  if (!window.Plotly) {
    return; // the tables under the charts still hold every number
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
})();
