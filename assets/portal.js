// The setup wizard's small helpers. Every page works without them.
//
// 1. Messages to the app that frames the wizard (DESIGN.md Setup wizard, embedding). An element with
//    data-gatehouse-event="gatehouse:sso_activated" (or sso_deactivated, session_expired, load_failed)
//    makes the page post { type: "gatehouse:sso_activated", ...data } to window.parent, where `data` is
//    the element's other data-gatehouse-* attributes (data-gatehouse-connection-id -> connection_id).
//    The message goes ONLY to the origins in <meta name="gatehouse-frame-origins"> (the allowed_origins
//    of the app's clients): never "*", so no other page that frames the wizard learns anything.
// 2. Copy buttons: <button data-copy="id-of-the-element-whose-text-to-copy" hidden>, shown only when
//    the clipboard can be written; without them the values are selectable text.
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

  function copyButtons() {
    document.querySelectorAll('button[data-copy]').forEach(function (button) {
      var source = document.getElementById(button.getAttribute('data-copy'));
      if (!source || !navigator.clipboard) return;
      // The first text node is the visible word; a visually hidden span after it names the value.
      var word = button.firstChild;
      var label = word.nodeValue;
      button.hidden = false;
      button.addEventListener('click', function () {
        var text = 'value' in source ? source.value : source.textContent;
        navigator.clipboard.writeText(text.trim()).then(function () {
          word.nodeValue = 'Copied';
          button.setAttribute('data-copied', '');
          setTimeout(function () { word.nodeValue = label; button.removeAttribute('data-copied'); }, 2000);
        }, function () {
          // Clipboard refused (a frame without clipboard-write): select the text for Ctrl+C instead.
          var range = document.createRange();
          range.selectNodeContents(source);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        });
      });
    });
  }

  postEvents();
  copyButtons();
})();
