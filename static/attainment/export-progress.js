/* Career Credit: poll an accreditation export's counters and update its progress page.
   Served from /static (CSP: script-src 'self' + nonce); no inline code. The status line is an
   aria-live region: it is announced when the percentage moves by 10 points or the step or state
   changes, not on every poll. When the export ends the page reloads to offer the download. */
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || !window.fetch) { return; }
  var bar = document.getElementById("export-bar");
  var status = document.getElementById("export-status");
  var url = box.getAttribute("data-progress-url");
  var pageUrl = box.getAttribute("data-page-url");
  var labels = { queued: "Waiting to start", running: "Being built", done: "Ready", failed: "Stopped" };
  var lastAnnounced = -1;
  var lastState = "";
  var delay = 2000;

  function show(job) {
    bar.max = Math.max(job.total, 1);
    bar.value = job.processed;
    bar.textContent = job.percent + "%";
    var step = Math.floor(job.percent / 10);
    var state = job.status + "|" + job.step;
    if (step !== lastAnnounced || state !== lastState) {
      lastAnnounced = step;
      lastState = state;
      status.textContent = (labels[job.status] || job.status) + (job.step ? " · " + job.step : "") +
        ": " + job.processed + " of " + job.total + " evidence rows (" + job.percent + "%).";
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
