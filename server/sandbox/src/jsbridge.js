// wxgate sandbox: a stand-in for WeChat's JS-SDK (window.wx) and the WeChat browser's WeixinJSBridge, for pages
// running against the sandbox. wx.config checks its signature with the sandbox; getBrandWCPayRequest checks paySign
// and the order with the sandbox, then shows a pay sheet where a sandbox persona pays or cancels.
(function () {
  'use strict';
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/\/jsbridge\.js(\?.*)?$/, '') : '__SANDBOX_BASE__';
  // text/plain keeps these cross-origin POSTs "simple": no CORS preflight.
  function post(path, body) {
    return fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(body) })
      .then(function (response) { return response.json().then(function (json) { return { ok: response.ok, json: json }; }); });
  }
  var state = { status: 'idle', appId: null, readyQueue: [], errorQueue: [], error: null, shared: {} };
  function settle() {
    if (state.status === 'ready') { state.readyQueue.splice(0).forEach(function (fn) { fn(); }); }
    if (state.status === 'error') { state.errorQueue.splice(0).forEach(function (fn) { fn(state.error); }); }
  }
  function share(name) {
    return function (options) {
      options = options || {};
      var ok = state.status === 'ready';
      if (ok) { state.shared[name] = { title: options.title, desc: options.desc, link: options.link, imgUrl: options.imgUrl }; }
      var result = { errMsg: name + (ok ? ':ok' : ':fail, the config is not ready') };
      if (ok && options.success) { options.success(result); }
      if (!ok && options.fail) { options.fail(result); }
      if (options.complete) { options.complete(result); }
    };
  }
  function el(tag, style, text) {
    var node = document.createElement(tag);
    // Through the CSSOM, which a page's Content-Security-Policy allows; a style attribute it would block.
    if (style) { node.style.cssText = style; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function sheet(params, info, callback) {
    var overlay = el('div', 'position:fixed;inset:0;background:rgba(0,0,0,.5);display:flex;align-items:flex-end;justify-content:center;z-index:2147483647;font-family:-apple-system,"PingFang SC",sans-serif');
    overlay.setAttribute('data-testid', 'wx-pay-sheet');
    var card = el('div', 'background:#fff;width:100%;max-width:420px;border-radius:12px 12px 0 0;padding:20px;text-align:center');
    card.appendChild(el('div', 'font-size:12px;color:#7a5b00;background:#fff3cd;padding:4px;border-radius:4px', 'wxgate 微信沙盒 · WeChat sandbox'));
    card.appendChild(el('div', 'margin-top:12px;color:rgba(0,0,0,.55)', info.merchant));
    card.appendChild(el('div', 'margin-top:4px', info.description));
    var amount = el('div', 'font-size:36px;font-weight:600;margin:12px 0', '¥' + info.amount);
    amount.setAttribute('data-testid', 'wx-pay-amount');
    card.appendChild(amount);
    var picker = el('select', 'width:100%;padding:8px;font-size:16px');
    picker.setAttribute('data-testid', 'wx-pay-persona');
    info.personas.forEach(function (persona) {
      var option = el('option', null, persona.nickname);
      option.value = persona.id;
      if (persona.id === info.payer) { option.selected = true; }
      picker.appendChild(option);
    });
    card.appendChild(picker);
    var message = el('div', 'color:#fa5151;min-height:20px;margin-top:8px');
    card.appendChild(message);
    var pay = el('button', 'display:block;width:100%;margin-top:8px;padding:12px;border:0;border-radius:8px;background:#07c160;color:#fff;font-size:17px', '支付');
    pay.setAttribute('data-testid', 'wx-pay-confirm');
    var cancel = el('button', 'display:block;width:100%;margin-top:8px;padding:12px;border:0;border-radius:8px;background:#f2f2f2;color:#07c160;font-size:17px', '取消');
    cancel.setAttribute('data-testid', 'wx-pay-cancel');
    card.appendChild(pay);
    card.appendChild(cancel);
    overlay.appendChild(card);
    document.body.appendChild(overlay);
    function close(result) { overlay.remove(); callback(result); }
    cancel.onclick = function () { close({ err_msg: 'get_brand_wcpay_request:cancel' }); };
    pay.onclick = function () {
      pay.disabled = true;
      var body = Object.assign({}, params, { persona: picker.value });
      post('/pay/jsapi/confirm', body).then(function (answer) {
        if (answer.ok) { close({ err_msg: 'get_brand_wcpay_request:ok' }); return; }
        message.textContent = answer.json.err_desc || '支付失败';
        pay.disabled = false;
      }, function () { close({ err_msg: 'get_brand_wcpay_request:fail', err_desc: 'the sandbox is unreachable' }); });
    };
  }
  function brandPay(params, callback) {
    callback = callback || function () {};
    var fields = ['appId', 'timeStamp', 'nonceStr', 'package', 'signType', 'paySign'];
    var body = {};
    fields.forEach(function (name) { body[name] = params && params[name] !== undefined ? String(params[name]) : ''; });
    post('/pay/jsapi/check', body).then(function (answer) {
      if (!answer.ok) { callback({ err_msg: 'get_brand_wcpay_request:fail', err_desc: answer.json.err_desc }); return; }
      sheet(body, answer.json, callback);
    }, function () { callback({ err_msg: 'get_brand_wcpay_request:fail', err_desc: 'the sandbox is unreachable' }); });
  }
  window.WeixinJSBridge = {
    invoke: function (name, params, callback) {
      if (name === 'getBrandWCPayRequest') { brandPay(params, callback); return; }
      if (callback) { callback({ err_msg: name + ':fail, not emulated by the sandbox' }); }
    },
  };
  window.wx = {
    config: function (options) {
      options = options || {};
      state.status = 'pending';
      state.appId = options.appId;
      post('/jsbridge/config', {
        appId: String(options.appId || ''), timestamp: String(options.timestamp || ''),
        nonceStr: String(options.nonceStr || ''), signature: String(options.signature || ''),
        url: location.href.split('#')[0],
      }).then(function (answer) {
        if (answer.ok) { state.status = 'ready'; } else { state.status = 'error'; state.error = { errMsg: answer.json.errMsg }; }
        settle();
      }, function () { state.status = 'error'; state.error = { errMsg: 'config:fail, the sandbox is unreachable' }; settle(); });
    },
    ready: function (fn) { state.readyQueue.push(fn); settle(); },
    error: function (fn) { state.errorQueue.push(fn); settle(); },
    updateAppMessageShareData: share('updateAppMessageShareData'),
    updateTimelineShareData: share('updateTimelineShareData'),
    chooseWXPay: function (options) {
      options = options || {};
      brandPay({ appId: state.appId, timeStamp: options.timestamp, nonceStr: options.nonceStr, package: options.package,
        signType: options.signType, paySign: options.paySign }, function (result) {
        var outcome = result.err_msg.split(':')[1];
        var answer = { errMsg: 'chooseWXPay:' + outcome };
        if (outcome === 'ok' && options.success) { options.success(answer); }
        if (outcome === 'cancel' && options.cancel) { options.cancel(answer); }
        if (outcome === 'fail' && options.fail) { options.fail(answer); }
        if (options.complete) { options.complete(answer); }
      });
    },
  };
  window.__wxSandbox = state;
  document.dispatchEvent(new Event('WeixinJSBridgeReady'));
})();
