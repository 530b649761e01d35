// The setup wizard's small helpers. Every page works without them.
//
// 1. Messages to the app that frames the wizard (DESIGN.md Setup wizard, embedding). An element with
//    data-gatehouse-event="gatehouse:sso_activated" (or sso_deactivated, session_expired, load_failed)
//    makes the page post { type: "gatehouse:sso_activated", ...data } to window.parent, where `data` is
//    the element's other data-gatehouse-* attributes (data-gatehouse-connection-id -> connection_id).
//    The message goes ONLY to the origins in <meta name="gatehouse-frame-origins"> (the allowed_origins
//    of the app's clients): never "*", so no other page that frames the wizard learns anything.
// Copy buttons are assets/copy-buttons.js, shared with the console.
(function () {
  'use strict';

  var KNOWN = ['gatehouse:sso_activated', 'gatehouse:sso_deactivated', 'gatehouse:session_expired', 'gatehouse:load_failed'];

  function allowedOrigins() {
    var meta = document.querySelector('meta[name="gatehouse-frame-origins"]');
    var listed = meta ? meta.getAttribute('content').split(/\s+/).filter(Boolean) : [];
    // Where the browser says who frames us (Chromium, Safari), post only to that origin.
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length > 0) {
      var parentOrigin = ancestors[0];
      return listed.filter(function (origin) { return origin === parentOrigin; });
    }
    return listed;
  }

  function postEvents() {
    if (window.parent === window) return;
    var origins = allowedOrigins();
    if (origins.length === 0) return;
    document.querySelectorAll('[data-gatehouse-event]').forEach(function (element) {
      var type = element.getAttribute('data-gatehouse-event');
      if (KNOWN.indexOf(type) === -1) return;
      var message = { type: type };
      Array.prototype.forEach.call(element.attributes, function (attribute) {
        var match = /^data-gatehouse-(.+)$/.exec(attribute.name);
        if (match && match[1] !== 'event') message[match[1].replace(/-/g, '_')] = attribute.value;
      });
      origins.forEach(function (origin) {
        // Browsers drop a message whose target origin is not the parent's: only the real one receives it.
        try { window.parent.postMessage(message, origin); } catch (e) { /* a malformed origin: skip it */ }
      });
    });
  }

  postEvents();
})();
