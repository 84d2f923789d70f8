/* LTI client-side postMessage + platform storage (1EdTech): keep the OIDC state and nonce in
   the LMS's storage frame when the browser blocks the tool's cookies inside the iframe.

   No answer is raced against a short timer: a busy machine can take seconds to deliver the
   platform's reply, and a launch form submitted without the stored values is refused
   (state_mismatch). Only the first message, lti.capabilities, has a deadline (a platform that
   never answers has no storage), and it is asked again until answered (the LMS page may not be
   listening yet); once the platform has answered, the script waits for it.
   Each step runs once: the login navigates once, the launch form is submitted once (a click on
   "continue" while the exchange runs waits for it). <html data-lti-storage> names the state:
   checking, then submitted / signing-in, or failed. */
(function () {
  "use strict";
  var CAPABILITIES_DEADLINE_MS = 10000;
  var pending = {};
  var html = document.documentElement;

  function frameFor(name) {
    if (!name || name === "_parent") { return window.parent; }
    try { return window.parent.frames[name] || window.parent; } catch (e) { return window.parent; }
  }

  function send(target, origin, subject, extra, deadlineMs) {
    return new Promise(function (resolve, reject) {
      var id = subject + "-" + Math.random().toString(36).slice(2);
      var message = { subject: subject, message_id: id };
      Object.keys(extra || {}).forEach(function (k) { message[k] = extra[k]; });
      var repeat = null;
      pending[id] = function (data) {
        if (repeat) { window.clearInterval(repeat); }
        if (data.error) { reject(new Error(data.error.message || "storage error")); }
        else { resolve(data); }
      };
      target.postMessage(message, origin);
      if (deadlineMs) {
        // The probe is asked again until answered: the LMS page may register its listener
        // after this frame's script runs (its own scripts still loading), and a message sent
        // before that is lost. Asking again is harmless; the first answer wins.
        repeat = window.setInterval(function () {
          if (pending[id]) { target.postMessage(message, origin); }
        }, 250);
        window.setTimeout(function () {
          window.clearInterval(repeat);
          if (pending[id]) { delete pending[id]; reject(new Error("no answer")); }
        }, deadlineMs);
      }
    });
  }

  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.message_id && pending[data.message_id]) {
      var done = pending[data.message_id];
      delete pending[data.message_id];
      done(data);
    }
  });

  function supports(target, origin, subject) {
    return send(target, origin, "lti.capabilities", {}, CAPABILITIES_DEADLINE_MS).then(function (caps) {
      var ok = (caps.supported_messages || []).some(function (m) { return m.subject === subject; });
      if (!ok) { throw new Error("the LMS does not offer " + subject); }
    });
  }

  function once(fn) {
    var done = false;
    return function () { if (!done) { done = true; fn.apply(null, arguments); } };
  }

  var el = document.getElementById("lti-storage");
  if (!el) { return; }
  var cfg = el.dataset;
  var target = frameFor(cfg.target);
  html.setAttribute("data-lti-storage", "checking");

  if (cfg.step === "login") {
    var go = once(function (outcome) {
      html.setAttribute("data-lti-storage", outcome);
      window.location.href = cfg.authUrl;
    });
    supports(target, cfg.origin, "lti.put_data")
      .then(function () {
        return send(target, cfg.origin, "lti.put_data", { key: "cc_state_" + cfg.state, value: cfg.state });
      })
      .then(function () {
        return send(target, cfg.origin, "lti.put_data", { key: "cc_nonce_" + cfg.state, value: cfg.nonce });
      })
      .then(function () { html.setAttribute("data-put-data", "done"); go("signing-in"); },
            function () { go("failed"); });
  } else if (cfg.step === "launch") {
    var form = document.getElementById("lti-storage-form");
    var exchanging = true;
    var held = false;
    var submit = once(function (outcome) {
      exchanging = false;
      html.setAttribute("data-lti-storage", outcome);
      form.submit();  // a script's submit() fires no submit event: the guard below lets it be
    });
    form.addEventListener("submit", function (event) {
      // "continue" pressed while the values are on their way: the exchange submits them (a
      // second press goes through, for a platform that stopped answering)
      if (exchanging && !held) { held = true; event.preventDefault(); }
    });
    supports(target, cfg.origin, "lti.get_data")
      .then(function () { return send(target, cfg.origin, "lti.get_data", { key: "cc_state_" + cfg.state }); })
      .then(function (stateData) {
        form.elements.lti_storage_state.value = stateData.value || "";
        return send(target, cfg.origin, "lti.get_data", { key: "cc_nonce_" + cfg.state });
      })
      .then(function (nonceData) {
        form.elements.lti_storage_nonce.value = nonceData.value || "";
        submit("submitted");
      }, function () { submit("failed"); });
  }
})();
