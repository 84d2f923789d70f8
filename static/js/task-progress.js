/* Career Credit: poll a background task's progress (an import, an export…) and update its
   page (templates/tasks/_progress.html; the JSON of lti_tool.tasks.progress_response).
   Served from /static (CSP: script-src 'self' + nonce); no inline code. The status line is an
   aria-live region: it is announced when the percentage moves by 10 points or the state or
   step changes, not on every poll. When the task ends the page reloads to show its result. */
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || !window.fetch) { return; }
  var bar = box.querySelector("progress");
  var status = box.querySelector("[role=status]");
  var url = box.getAttribute("data-progress-url");
  var pageUrl = box.getAttribute("data-page-url");
  var lastAnnounced = -1;
  var lastState = "";
  var delay = 2000;

  function show(job) {
    bar.max = Math.max(job.total, 1);
    bar.value = job.processed;
    bar.textContent = job.percent + "%";
    var step = Math.floor(job.percent / 10);
    var state = job.status + "|" + (job.step || "");
    if (step !== lastAnnounced || state !== lastState) {
      lastAnnounced = step;
      lastState = state;
      status.textContent = job.message;
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
