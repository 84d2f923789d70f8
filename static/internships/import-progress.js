/* Career Credit: poll a background import's counters and update the progress page.
   Served from /static (CSP: script-src 'self' + nonce); no inline code. The status line is an
   aria-live region: it is announced when the percentage moves by 10 points or the state
   changes, not on every poll. When the import ends the page reloads to show the report. */
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || !window.fetch) { return; }
  var bar = document.getElementById("import-bar");
  var status = document.getElementById("import-status");
  var url = box.getAttribute("data-progress-url");
  var pageUrl = box.getAttribute("data-page-url");
  var labels = { queued: "Waiting to start", running: "Importing", done: "Finished", failed: "Stopped" };
  var lastAnnounced = -1;
  var lastState = "";
  var delay = 2000;

  function show(job) {
    bar.max = job.total;
    bar.value = job.processed;
    bar.textContent = job.percent + "%";
    var step = Math.floor(job.percent / 10);
    if (step !== lastAnnounced || job.status !== lastState) {
      lastAnnounced = step;
      lastState = job.status;
      status.textContent = (labels[job.status] || job.status) + ": " + job.processed + " of " +
        job.total + " rows (" + job.percent + "%) — " + job.created + " created, " +
        job.updated + " updated, " + job.rejected + " rejected.";
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.finished) { window.location.assign(pageUrl); return; }
        delay = 2000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000); /* back off; the link on the page still works */
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
}());
