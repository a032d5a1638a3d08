"""The login side's judge: the PyPI SDK wechatpy (pinned) makes its normal calls against `wxgate sandbox`:
code2session, the server access_token and the JS-SDK ticket with its signature, and official-account OAuth.

Only the host changes: a transport adapter sends what wechatpy addresses to api.weixin.qq.com and
open.weixin.qq.com to the sandbox, path and query untouched.
"""
import json
import time
import urllib.parse
import urllib.request

import requests
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.oauth import WeChatOAuth

WECHAT_HOSTS = {"api.weixin.qq.com", "open.weixin.qq.com"}
WECHAT_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI"
CALLBACK = "https://shop.example.com/api/auth/wechat/oauth/callback"


class ToSandbox(HTTPAdapter):
    """Sends requests for WeChat's hosts to the sandbox: only the scheme and host are rewritten."""

    def __init__(self, base):
        super().__init__()
        self.base = base

    def send(self, request, **kwargs):
        parts = urllib.parse.urlsplit(request.url)
        if parts.hostname in WECHAT_HOSTS:
            request.url = self.base + parts.path + ("?" + parts.query if parts.query else "")
        return super().send(request, **kwargs)


def to_sandbox(sdk_object, sandbox):
    """Points one of wechatpy's objects (its requests session) at the sandbox."""
    sdk_object._http.mount("https://", ToSandbox(sandbox.base))
    return sdk_object


def persona(sandbox, persona_id):
    with urllib.request.urlopen(sandbox.base + "/sandbox/personas", timeout=10) as response:
        return next(p for p in json.loads(response.read()) if p["id"] == persona_id)


def in_sandbox(url, sandbox):
    """A URL wechatpy made for WeChat's page, on the sandbox (only the host changes)."""
    parts = urllib.parse.urlsplit(url)
    return sandbox.base + parts.path + "?" + parts.query


def test_code2session_gives_the_personas_openid_session_key_and_unionid(sandbox):
    c = sandbox.credentials
    client = to_sandbox(WeChatClient(c["mp_appid"], c["mp_secret"]), sandbox)
    code = sandbox.control("/sandbox/mp/login-code", {"persona": "xiaohong"})["code"]

    session = client.wxa.code_to_session(code)
    xiaohong = persona(sandbox, "xiaohong")
    assert session["openid"] == xiaohong["openids"][c["mp_appid"]]
    assert session["unionid"] == xiaohong["unionid"]
    assert len(session["session_key"]) == 24


def test_the_server_token_and_jsapi_ticket_sign_a_config_the_sandbox_accepts(sandbox):
    c = sandbox.credentials
    client = to_sandbox(WeChatClient(c["oa_appid"], c["oa_secret"]), sandbox)
    token = client.fetch_access_token()
    assert len(token["access_token"]) == 512
    assert token["expires_in"] == 7200

    ticket = client.jsapi.get_jsapi_ticket()
    timestamp, nonce, url = str(int(time.time())), "Wm3WZYTPz0wzccnW", "https://shop.example.com/orders/1?x=1"
    signature = client.jsapi.get_jsapi_signature(nonce, ticket, timestamp, url)
    answer = requests.post(sandbox.base + "/sandbox/jsbridge/config", timeout=10, json={
        "appId": c["oa_appid"], "timestamp": timestamp, "nonceStr": nonce, "signature": signature, "url": url,
    })
    assert answer.status_code == 200, answer.text
    assert answer.json()["errMsg"] == "config:ok"


def test_official_account_oauth_base_and_userinfo(sandbox):
    c = sandbox.credentials
    browser = requests.Session()

    # snsapi_base: silent in the WeChat browser, straight back to the callback with a code.
    base = to_sandbox(WeChatOAuth(c["oa_appid"], c["oa_secret"], CALLBACK, scope="snsapi_base", state="S1"), sandbox)
    back = browser.get(in_sandbox(base.authorize_url, sandbox), allow_redirects=False, timeout=10,
                       headers={"User-Agent": WECHAT_UA, "Cookie": "wx_sandbox_persona=xiaoming"})
    location = back.headers["Location"]
    assert location.startswith(CALLBACK), location
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert query["state"] == ["S1"]
    token = base.fetch_access_token(query["code"][0])
    assert token["openid"] == persona(sandbox, "xiaoming")["openids"][c["oa_appid"]]
    assert token["scope"] == "snsapi_base"
    assert base.check_access_token()

    # snsapi_userinfo: the person allows it on the consent page, then the profile and a refresh.
    userinfo = to_sandbox(WeChatOAuth(c["oa_appid"], c["oa_secret"], CALLBACK, scope="snsapi_userinfo",
                                      state="S2"), sandbox)
    consent = browser.get(in_sandbox(userinfo.authorize_url, sandbox), timeout=10, headers={"User-Agent": WECHAT_UA})
    assert consent.status_code == 200 and "允许" in consent.text
    decided = browser.post(sandbox.base + "/connect/oauth2/authorize/decide", allow_redirects=False, timeout=10, data={
        "appid": c["oa_appid"], "redirect_uri": CALLBACK, "state": "S2", "scope": "snsapi_userinfo",
        "persona": "laowang", "decision": "allow",
    })
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(decided.headers["Location"]).query)["code"][0]
    token = userinfo.fetch_access_token(code)
    profile = userinfo.get_user_info()
    assert profile["nickname"] == "老王"
    assert profile["unionid"] == token["unionid"] == persona(sandbox, "laowang")["unionid"]
    refreshed = userinfo.refresh_access_token(token["refresh_token"])
    assert refreshed["refresh_token"] == token["refresh_token"]
    assert refreshed["access_token"] != token["access_token"]
