// wxgate sandbox: the desktop QR login page's polling. Asks for the login's status (data-status) every second, says
// when the code was scanned, and once the phone confirmed or declined sends the window (data-target: "window", or
// "top" when the page sits in the site's iframe without self_redirect) to the redirect.
(function () {
  'use strict';
  var script = document.currentScript;
  var status = script.dataset.status;
  var target = script.dataset.target === 'window' ? window : window.top;
  function poll() {
    fetch(status).then(function (response) { return response.json(); }).then(function (answer) {
      var label = document.querySelector('[data-testid=qr-status]');
      if (answer.status === 'scanned') { label.textContent = '扫描成功，请在微信中点击确认即可登录'; }
      if (answer.redirect) { target.location.href = answer.redirect; return; }
      setTimeout(poll, 1000);
    }).catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
