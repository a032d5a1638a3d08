// wxgate's calls into the WeChat browser: loading the JS-SDK (WeChat's, or the sandbox's stand-in), wx.config with
// the page's share card, and the pay bridge (WeixinJSBridge.invoke('getBrandWCPayRequest')).

const loading = new Map();

function loadScript(src) {
  if (!loading.has(src)) {
    loading.set(src, new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = () => resolve();
      script.onerror = () => { loading.delete(src); reject(new Error('could not load ' + src)); };
      document.head.appendChild(script);
    }));
  }
  return loading.get(src);
}

// Loads the JS-SDK, configures it for this page and sets the share card. Resolves once wx is ready; rejects with
// WeChat's errMsg when the signature is refused.
export function configure(configJson) {
  const config = JSON.parse(configJson);
  return loadScript(config.script).then(() => new Promise((resolve, reject) => {
    wx.config({
      debug: false,
      appId: config.appId,
      timestamp: config.timestamp,
      nonceStr: config.nonceStr,
      signature: config.signature,
      jsApiList: ['updateAppMessageShareData', 'updateTimelineShareData', 'chooseWXPay'],
    });
    wx.error((result) => reject(new Error(result.errMsg)));
    wx.ready(() => {
      const card = config.share;
      wx.updateAppMessageShareData({ title: card.title, desc: card.desc, link: card.link, imgUrl: card.imgUrl });
      wx.updateTimelineShareData({ title: card.title, link: card.link, imgUrl: card.imgUrl });
      resolve();
    });
  }));
}

function bridge() {
  if (window.WeixinJSBridge) {
    return Promise.resolve(window.WeixinJSBridge);
  }
  return new Promise((resolve) => {
    document.addEventListener('WeixinJSBridgeReady', () => resolve(window.WeixinJSBridge), { once: true });
  });
}

// Opens WeChat's pay sheet; resolves with WeChat's err_msg (get_brand_wcpay_request:ok / :cancel / :fail).
export function requestPayment(paramsJson) {
  const params = JSON.parse(paramsJson);
  return bridge().then((jsBridge) => new Promise((resolve) => {
    jsBridge.invoke('getBrandWCPayRequest', params, (result) => resolve(result.err_msg || 'get_brand_wcpay_request:fail'));
  }));
}
