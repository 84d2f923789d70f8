/* LTI client-side postMessage + platform storage (1EdTech): keep the OIDC state and nonce in
   the LMS's storage frame when the browser blocks the tool's cookies inside the iframe. */
(function () {
  "use strict";
  var pending = {};

  function frameFor(name) {
    if (!name || name === "_parent") { return window.parent; }
    try { return window.parent.frames[name] || window.parent; } catch (e) { return window.parent; }
  }

  function send(target, origin, subject, extra) {
    return new Promise(function (resolve, reject) {
      var id = subject + "-" + Math.random().toString(36).slice(2);
      var message = { subject: subject, message_id: id };
      Object.keys(extra || {}).forEach(function (k) { message[k] = extra[k]; });
      pending[id] = function (data) {
        if (data.error) { reject(new Error(data.error.message || "storage error")); }
        else { resolve(data); }
      };
      target.postMessage(message, origin);
      window.setTimeout(function () {
        if (pending[id]) { delete pending[id]; reject(new Error("timeout")); }
      }, 2000);
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
    return send(target, origin, "lti.capabilities").then(function (caps) {
      var ok = (caps.supported_messages || []).some(function (m) { return m.subject === subject; });
      if (!ok) { throw new Error("the LMS does not offer " + subject); }
    });
  }

  var el = document.getElementById("lti-storage");
  if (!el) { return; }
  var cfg = el.dataset;
  var target = frameFor(cfg.target);

  if (cfg.step === "login") {
    var go = function () { window.location.href = cfg.authUrl; };
    supports(target, cfg.origin, "lti.put_data")
      .then(function () {
        return send(target, cfg.origin, "lti.put_data", { key: "cc_state_" + cfg.state, value: cfg.state });
      })
      .then(function () {
        return send(target, cfg.origin, "lti.put_data", { key: "cc_nonce_" + cfg.state, value: cfg.nonce });
      })
      .then(function () { document.documentElement.setAttribute("data-put-data", "done"); go(); }, go);
  } else if (cfg.step === "launch") {
    var form = document.getElementById("lti-storage-form");
    supports(target, cfg.origin, "lti.get_data")
      .then(function () { return send(target, cfg.origin, "lti.get_data", { key: "cc_state_" + cfg.state }); })
      .then(function (stateData) {
        form.elements.lti_storage_state.value = stateData.value || "";
        return send(target, cfg.origin, "lti.get_data", { key: "cc_nonce_" + cfg.state });
      })
      .then(function (nonceData) {
        form.elements.lti_storage_nonce.value = nonceData.value || "";
        form.submit();
      }, function () { form.submit(); });
  }
})();
