"""Fixtures for the SDK judge: a `wxgate sandbox` on a free port, its credentials, and a notification receiver.

The binary comes from WXGATE_BIN (the Makefile's sdk-tests step builds it and sets it).
"""
import http.server
import json
import os
import queue
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sandbox:
    def __init__(self, base, credentials):
        self.base = base
        self.credentials = credentials

    def control(self, path, body=None):
        """POSTs JSON to the control API and returns the decoded answer."""
        data = json.dumps(body if body is not None else {}).encode()
        request = urllib.request.Request(self.base + path, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def openid(self, persona, appid):
        """The openid of a sandbox persona in `appid`: a JSAPI payer must be a user of the order's appid."""
        with urllib.request.urlopen(self.base + "/sandbox/personas", timeout=10) as response:
            personas = json.loads(response.read())
        return next(p["openids"][appid] for p in personas if p["id"] == persona)


@pytest.fixture(scope="session")
def sandbox():
    binary = os.environ.get("WXGATE_BIN")
    assert binary and os.path.exists(binary), "set WXGATE_BIN to a built wxgate (make sdk-tests does)"
    data_dir = tempfile.mkdtemp(prefix="wxgate-sdk-")
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "WXGATE_DATA_DIR": data_dir, "RUST_LOG": "warn",
           "WXGATE_SANDBOX_TIME_SCALE": "1000"}
    printed = subprocess.run([binary, "sandbox", "credentials", "--port", str(port)], env=env, cwd=data_dir,
                             capture_output=True, check=True)
    credentials = json.loads(printed.stdout)
    process = subprocess.Popen([binary, "sandbox", "--port", str(port)], env=env, cwd=data_dir,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/sandbox", timeout=2).read()
            break
        except OSError:
            assert process.poll() is None, "wxgate sandbox exited early"
            assert time.time() < deadline, "wxgate sandbox did not answer within 60 s"
            time.sleep(0.1)
    yield Sandbox(base, credentials)
    process.terminate()
    process.wait(timeout=10)


class Receiver:
    """A merchant notify_url: records each POST's headers (exactly as sent) and raw body; answers 204."""

    def __init__(self):
        self.received = queue.Queue()
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.put((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/notify" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, event_type, timeout=15):
        """The next notification of `event_type` (others are skipped)."""
        deadline = time.time() + timeout
        while True:
            headers, body = self.received.get(timeout=max(0.1, deadline - time.time()))
            if json.loads(body)["event_type"] == event_type:
                return headers, body

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()
