// Copy buttons, on the setup wizard's and the console's pages: <button data-copy="id-of-the-element-whose-
// text-to-copy" hidden>, shown only when the clipboard can be written; without them the values are
// selectable text.
(function () {
  'use strict';

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

  copyButtons();
})();
