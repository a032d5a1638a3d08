"""The message push and the events, judged by independent libraries from PyPI:

- wechatpy's WeChatCrypto checks and decrypts what the sandbox pushes in safe mode, and encrypts a message that
  `wxgate serve` must take;
- standardwebhooks (the Standard Webhooks reference library) verifies the events wxgate sends to a product.

`wxgate serve` runs once on SQLite and once on PostgreSQL (WXGATE_TEST_POSTGRES_URL, default the local server).
"""
import hashlib
import http.server
import json
import os
import queue
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import pytest
from standardwebhooks.webhooks import Webhook
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

from conftest import Receiver, free_port

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class PushReceiver:
    """An app's push URL: records each POST's query and body, answers `success`."""

    def __init__(self):
        self.received = queue.Queue()
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                received.put((query, dict(self.headers.items()), body))
                answer = b"success"
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/push" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_wechatpy_verifies_and_decrypts_the_sandboxs_safe_mode_push(sandbox):
    receiver = PushReceiver()
    try:
        credentials = sandbox.credentials
        appid = credentials["oa_appid"]
        sandbox.control("/sandbox/push/%s/settings" % appid, {"url": receiver.url, "mode": "safe", "format": "xml"})
        delivery = sandbox.control("/sandbox/push/%s/events" % appid,
                                   {"event": "subscribe", "openid": "o-judge", "fields": {"EventKey": "qrscene_7"}})
        assert delivery["delivered"], delivery
        query, headers, body = receiver.received.get(timeout=10)
        check_signature(credentials["push_token"], query["signature"], query["timestamp"], query["nonce"])
        assert query["encrypt_type"] == "aes"
        crypto = WeChatCrypto(credentials["push_token"], credentials["push_aes_key"], appid)
        message = crypto.decrypt_message(body, query["msg_signature"], query["timestamp"], query["nonce"])
        text = message.decode() if isinstance(message, bytes) else message
        assert "<Event><![CDATA[subscribe]]></Event>" in text
        assert "<FromUserName><![CDATA[o-judge]]></FromUserName>" in text
        assert "<EventKey><![CDATA[qrscene_7]]></EventKey>" in text
    finally:
        receiver.close()


POSTGRES_URL = os.environ.get("WXGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def database(request):
    """The DATABASE_URL of a fresh database: none for the default SQLite file, or a PostgreSQL database made for the
    test and dropped after it (with CI set, an unreachable PostgreSQL fails the test, as in the integration tests)."""
    if request.param == "sqlite":
        yield None
        return
    import psycopg

    name = "wxgate_sdk_%s" % os.urandom(6).hex()
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip("PostgreSQL is not reachable at %s: %s" % (POSTGRES_URL, error))
    with admin:
        admin.execute('CREATE DATABASE "%s"' % name)
        try:
            yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


@pytest.fixture
def served(database):
    """`wxgate serve` in sandbox mode, sending events to a receiver (answering 204): (base URL, credentials, receiver)."""
    binary = os.environ.get("WXGATE_BIN")
    assert binary and os.path.exists(binary), "set WXGATE_BIN to a built wxgate (make sdk-tests does)"
    receiver = Receiver()
    data_dir = tempfile.mkdtemp(prefix="wxgate-sdk-serve-")
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "WXGATE_DATA_DIR": data_dir, "RUST_LOG": "warn",
           "WXGATE_MODE": "sandbox", "WXGATE_RECONCILE_AT": "off",
           "WXGATE_EVENTS_URL": receiver.url, "WXGATE_EVENTS_SECRET": SECRET}
    if database:
        env["DATABASE_URL"] = database
    printed = subprocess.run([binary, "sandbox", "credentials"], env=env, cwd=data_dir,
                             capture_output=True, check=True)
    credentials = json.loads(printed.stdout)
    process = subprocess.Popen([binary, "serve", "--addr", "127.0.0.1:%d" % port], env=env, cwd=data_dir,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()
            break
        except OSError:
            assert process.poll() is None, "wxgate serve exited early"
            assert time.time() < deadline, "wxgate serve did not answer within 60 s"
            time.sleep(0.1)
    yield base, credentials, receiver
    process.terminate()
    process.wait(timeout=10)
    receiver.close()


@pytest.mark.parametrize("database", ["sqlite", "postgres"], indirect=True)
def test_wxgate_takes_wechatpys_encrypted_push(served):
    base, credentials, _ = served
    appid = credentials["oa_appid"]
    token = credentials["push_token"]
    crypto = WeChatCrypto(token, credentials["push_aes_key"], appid)
    inner = ("<xml><ToUserName><![CDATA[gh_judge]]></ToUserName><FromUserName><![CDATA[o-wechatpy]]></FromUserName>"
             "<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
             "</xml>" % int(time.time()))
    timestamp, nonce = str(int(time.time())), "20261202"
    reply = crypto.encrypt_message(inner, nonce, timestamp)
    encrypt = reply.split("<Encrypt><![CDATA[", 1)[1].split("]]></Encrypt>", 1)[0]
    msg_signature = reply.split("<MsgSignature><![CDATA[", 1)[1].split("]]></MsgSignature>", 1)[0]
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    query = urllib.parse.urlencode({"signature": signature, "timestamp": timestamp, "nonce": nonce,
                                    "encrypt_type": "aes", "msg_signature": msg_signature})
    body = ("<xml><ToUserName><![CDATA[gh_judge]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>"
            % encrypt).encode()
    request = urllib.request.Request("%s/api/wechat/push/%s?%s" % (base, appid, query), data=body, method="POST",
                                     headers={"Content-Type": "text/xml"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.read() == b"success"


@pytest.mark.parametrize("database", ["sqlite", "postgres"], indirect=True)
def test_standardwebhooks_verifies_the_events_wxgate_sends(served):
    base, _, receiver = served
    minted = post_json(base + "/sandbox/mp/login-code", {"persona": "xiaoming"})
    login = post_json(base + "/api/auth/wechat/login", {"code": minted["code"]})
    headers, body = receiver.received.get(timeout=15)
    event = Webhook(SECRET).verify(body, {name.lower(): value for name, value in headers.items()})
    assert event["type"] == "user.created"
    assert event["data"]["user_id"] == login["user_id"]
    assert headers["webhook-id"].startswith("msg_")
    # A body altered in transit does not verify.
    with pytest.raises(Exception):
        Webhook(SECRET).verify(body.replace(b"user.created", b"user.merged"),
                               {name.lower(): value for name, value in headers.items()})
