/* Keeps a run page up to date while the run is queued or running: every second it reads the
   run's status (JSON, the element's data-run-status-url) and updates the progress bar, the
   best value so far, the proven bound and the gap. When the status changes (it starts, or
   ends) the page reloads, to show the new status, the outcome and the link to the results.
   A 401, 403 or 404 will not go away by asking again (signed out, no longer allowed, the run
   deleted): polling stops and the page says so. Other failures (the server restarting) are
   retried less often. No inline script: the CSP forbids it. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var FINAL = [401, 403, 404];
  var root = document.querySelector("[data-run-status-url]");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-run-status-url");
  var shownStatus = root.getAttribute("data-run-status");
  var locale = document.documentElement.lang || "lt";
  var number = new Intl.NumberFormat(locale, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
  var percent = new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var wholePercent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });

  function field(name) {
    return root.querySelector('[data-run-field="' + name + '"]');
  }

  function show(name, value, format) {
    var element = field(name);
    if (element) {
      element.textContent = value === null || value === undefined ? "\u2014" : format.format(value);
    }
  }

  function update(run) {
    var bar = field("progress");
    if (bar) {
      bar.value = run.progress;
      bar.textContent = wholePercent.format(run.progress);
    }
    show("objective", run.objective, number);
    show("bound", run.bound, number);
    show("gap", run.gap, percent);
    return run.status === shownStatus;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (FINAL.indexOf(response.status) >= 0) {
          var problem = field("poll-problem");
          if (problem) {
            problem.hidden = false;
          }
          return null;
        }
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (run) {
        if (run === null) {
          return; // stopped for good (see above)
        }
        if (update(run)) {
          window.setTimeout(poll, POLL_MS);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        window.setTimeout(poll, POLL_MS * 5); // the server may be restarting: try again later
      });
  }

  window.setTimeout(poll, POLL_MS);
})();
