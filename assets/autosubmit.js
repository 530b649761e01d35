// Sends a form marked data-autosubmit as soon as the page loads (SAML HTTP-POST binding). Without
// JavaScript the person presses the form's Continue button instead.
document.querySelectorAll('form[data-autosubmit]').forEach(function (form) { form.submit(); });
