// The console's small helpers. Every page works without them.
//
// 1. Fresh status on return: a region marked data-refresh="name" is fetched again when the admin comes
//    back to the tab (from the setup wizard opened in a new one, say) and replaced by the same region
//    of the fresh page, so the SSO status chip and buttons say what is true now.
// 2. Switches that save themselves: in a form marked data-autosubmit, changing a checkbox submits the
//    form and the form's own Save button (needed without JavaScript) is hidden.
(function () {
  'use strict';

  var refreshing = false;

  function refreshRegions() {
    var regions = document.querySelectorAll('[data-refresh]');
    if (regions.length === 0 || refreshing) return;
    refreshing = true;
    fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        regions.forEach(function (region) {
          var name = region.getAttribute('data-refresh');
          var replacement = fresh.querySelector('[data-refresh="' + name + '"]');
          if (replacement && replacement.innerHTML !== region.innerHTML) {
            region.innerHTML = replacement.innerHTML;
            wireAutosubmit(region);
          }
        });
      })
      .catch(function () { /* offline or signed out: the page keeps what it showed */ })
      .then(function () { refreshing = false; });
  }

  function wireAutosubmit(root) {
    root.querySelectorAll('form[data-autosubmit]').forEach(function (form) {
      var save = form.querySelector('[data-autosubmit-button]');
      if (save) save.hidden = true;
      form.querySelectorAll('input[type="checkbox"]').forEach(function (box) {
        box.addEventListener('change', function () {
          if (typeof form.requestSubmit === 'function') form.requestSubmit();
          else form.submit();
        });
      });
    });
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') refreshRegions();
  });
  window.addEventListener('focus', refreshRegions);
  wireAutosubmit(document);
})();
