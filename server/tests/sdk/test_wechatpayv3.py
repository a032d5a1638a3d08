"""The judge: the PyPI SDK wechatpayv3 2.0.4 must accept `wxgate sandbox` as WeChat Pay, in public-key mode and in
certificate mode. Every 2xx answer it gets is signature-checked by the SDK itself (it raises otherwise), and
sandbox notifications must pass its `callback()` (signature check and AES-GCM decryption).
"""
import json
import os
import tempfile
import unittest.mock
import uuid

import pytest
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core


def out_no(prefix):
    return prefix + uuid.uuid4().hex[:20]


def client(sandbox, receiver, mode):
    c = sandbox.credentials
    common = dict(wechatpay_type=WeChatPayType.NATIVE, mchid=c["mchid"], private_key=c["merchant_private_key_pem"],
                  cert_serial_no=c["merchant_serial"], appid=c["oa_appid"], apiv3_key=c["apiv3_key"],
                  notify_url=receiver.url)
    if mode == "public_key":
        wx = WeChatPay(**common, public_key=c["pay_public_key_pem"], public_key_id=c["pay_public_key_id"])
    else:
        # Certificate mode: the constructor would download certificates from the real host; start from the
        # sandbox's certificate in cert_dir instead, as the SDK's own cache.
        cert_dir = tempfile.mkdtemp(prefix="wxgate-sdk-certs-")
        with open(os.path.join(cert_dir, c["platform_cert_serial"] + ".pem"), "w") as pem:
            pem.write(c["platform_cert_pem"])
        wx = WeChatPay(**common, cert_dir=cert_dir)
    wx._core._gate_way = sandbox.base
    return wx


MODES = ["public_key", "certificate"]


@pytest.mark.parametrize("mode", MODES)
def test_native_prepay_query_pay_notify_and_query_by_transaction_id(sandbox, receiver, mode):
    wx = client(sandbox, receiver, mode)
    no = out_no("N")
    code, text = wx.pay(description="wxgate 沙箱 native", out_trade_no=no, amount={"total": 88, "currency": "CNY"})
    assert code == 200, text
    assert json.loads(text)["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")

    code, text = wx.query(out_trade_no=no)
    assert code == 200, text
    assert json.loads(text)["trade_state"] == "NOTPAY"

    sandbox.control("/sandbox/pay/orders/%s/pay" % no)
    headers, body = receiver.next("TRANSACTION.SUCCESS")
    notification = wx.callback(headers, body)
    assert notification is not None, "callback() refused the sandbox's notification: %r" % headers
    transaction = notification["resource"]
    assert transaction["out_trade_no"] == no
    assert transaction["trade_state"] == "SUCCESS"
    assert transaction["amount"]["total"] == 88

    code, text = wx.query(transaction_id=transaction["transaction_id"])
    assert code == 200, text
    assert json.loads(text)["trade_state"] == "SUCCESS"


@pytest.mark.parametrize("mode", MODES)
def test_jsapi_prepay_and_close(sandbox, receiver, mode):
    wx = client(sandbox, receiver, mode)
    no = out_no("J")
    code, text = wx.pay(description="jsapi", out_trade_no=no, amount={"total": 1},
                        payer={"openid": sandbox.openid("xiaoming", sandbox.credentials["mp_appid"])},
                        pay_type=WeChatPayType.JSAPI,
                        appid=sandbox.credentials["mp_appid"])
    assert code == 200, text
    assert json.loads(text)["prepay_id"].startswith("wx")

    code, body = wx.close(out_trade_no=no)
    assert code == 204
    code, text = wx.query(out_trade_no=no)
    assert json.loads(text)["trade_state"] == "CLOSED"


@pytest.mark.parametrize("mode", MODES)
def test_refund_and_refund_query_and_refund_notification(sandbox, receiver, mode):
    wx = client(sandbox, receiver, mode)
    no = out_no("R")
    code, text = wx.pay(description="to refund", out_trade_no=no, amount={"total": 100})
    assert code == 200, text
    sandbox.control("/sandbox/pay/orders/%s/pay" % no)
    receiver.next("TRANSACTION.SUCCESS")

    refund_no = out_no("RF")
    code, text = wx.refund(out_refund_no=refund_no, amount={"refund": 40, "total": 100, "currency": "CNY"},
                           out_trade_no=no)
    assert code == 200, text
    assert json.loads(text)["status"] == "PROCESSING"

    sandbox.control("/sandbox/pay/refunds/%s/outcome" % refund_no, {"status": "SUCCESS"})
    headers, body = receiver.next("REFUND.SUCCESS")
    notification = wx.callback(headers, body)
    assert notification is not None
    assert notification["resource"]["refund_status"] == "SUCCESS"
    assert notification["resource"]["amount"]["refund"] == 40

    code, text = wx.query_refund(out_refund_no=refund_no)
    assert code == 200, text
    assert json.loads(text)["status"] == "SUCCESS"


def test_certificate_download_and_rotation(sandbox, receiver):
    c = sandbox.credentials
    # No cert_dir: keep the constructor from downloading, then download from the sandbox.
    with unittest.mock.patch.object(Core, "_init_certificates", lambda self: None):
        wx = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=c["mchid"], private_key=c["merchant_private_key_pem"],
                       cert_serial_no=c["merchant_serial"], appid=c["oa_appid"], apiv3_key=c["apiv3_key"],
                       notify_url=receiver.url)
    wx._core._gate_way = sandbox.base
    wx._core._init_certificates()
    serials = {"%X" % cert.serial_number for cert in wx._core._certificates}
    assert c["platform_cert_serial"] in serials

    rotated = sandbox.control("/sandbox/pay/certificates/rotate")
    wx._core._update_certificates()
    serials = {"%X" % cert.serial_number for cert in wx._core._certificates}
    assert len(serials) == 2 and rotated["newest"] in serials

    # Answers are now signed with the newest certificate, and the SDK accepts them.
    code, text = wx.pay(description="after rotation", out_trade_no=out_no("C"), amount={"total": 5})
    assert code == 200, text
