/* Inside an LMS frame: ask the LMS to fit the frame to the page (Canvas's lti.frameResize), on
   load and whenever the page's height changes, so the person scrolls the LMS page rather than a
   box inside it. Moodle and other LMSs ignore the message. The message holds only a height; it
   goes to the parent's origin where the browser tells it (location.ancestorOrigins), else to
   any ("*", as Canvas's documentation shows). */
(function () {
  "use strict";
  var parent = window.parent;
  if (!parent || parent === window) { return; }
  var ancestors = window.location.ancestorOrigins;
  var origin = ancestors && ancestors.length && ancestors[0] !== "null" ? ancestors[0] : "*";
  var sent = 0;

  function height() {
    // the body's own height, not the viewport's: a taller frame must not make a taller page
    var body = document.body;
    var style = window.getComputedStyle(body);
    return Math.ceil(body.getBoundingClientRect().height +
      parseFloat(style.marginTop || "0") + parseFloat(style.marginBottom || "0"));
  }

  function resize() {
    var h = height();
    if (h > 0 && h !== sent) {
      sent = h;
      parent.postMessage({ subject: "lti.frameResize", height: h }, origin);
      document.documentElement.setAttribute("data-frame-height", String(h));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", resize);
  } else {
    resize();
  }
  window.addEventListener("load", resize);
  if (typeof window.ResizeObserver === "function") {
    new window.ResizeObserver(resize).observe(document.body);
  }
})();
