// The kit against a real wxgate in sandbox mode, through a `wx` stand-in that talks to it over HTTP: logging in,
// a 401 followed by a silent login, the phone number, the nickname and avatar, a payment whose parameters the sandbox checks as WeChat's
// client does and then pays, a checkout of the product's backend paid, a cancelled payment, cookie mode, and the
// privacy hooks.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { fromTaro, fromWx, Wxgate, WxgateError } from "../src";
import { fakeWx, FakeWx } from "./support/wx";
import { RunningWxgate, startWxgate } from "./support/wxgate";

let server: RunningWxgate;

beforeAll(async () => {
  server = await startWxgate();
});

afterAll(async () => {
  await server.stop();
});

function kit(persona = "xiaoming", session: "bearer" | "cookie" = "bearer"): { wxgate: Wxgate; wx: FakeWx } {
  const wx = fakeWx(server.baseUrl, server.mpAppid, persona);
  const platform = session === "cookie" ? fromTaro(wx, { cookies: true }) : fromWx(wx);
  const wxgate = new Wxgate({ baseUrl: server.baseUrl, platform, session, sandbox: { persona } });
  return { wxgate, wx };
}

test("logging in keeps the session and the account answers with it", async () => {
  const { wxgate, wx } = kit();
  const login = await wxgate.login();
  expect(login.next_step).toBe("bind_phone");
  expect(wx.storage.get("wxgate.session")).toBe(login.session_token);
  const me = await wxgate.me();
  expect(me.user_id).toBe(login.user_id);
  expect(me.identities[0].provider).toBe("wechat_mp");
  // A kept session and a good wx.checkSession: no new login.
  await wxgate.ensureLoggedIn();
  expect(wx.sent.filter((sent) => sent === "POST /api/auth/wechat/login")).toHaveLength(1);
});

test("a session wxgate no longer knows is replaced by one silent login", async () => {
  const { wxgate, wx } = kit("xiaohong");
  const first = await wxgate.login();
  // The session ends at wxgate (here: signed out from elsewhere); the kit still holds its token.
  const ended = await fetch(`${server.baseUrl}/api/auth/logout`, {
    method: "POST",
    headers: { Authorization: `Bearer ${first.session_token}` },
  });
  expect(ended.status).toBe(204);
  const me = await wxgate.me();
  expect(me.user_id).toBe(first.user_id);
  expect(wx.sent).toEqual([
    "POST /sandbox/mp/login-code",
    "POST /api/auth/wechat/login",
    "GET /api/me",
    "POST /sandbox/mp/login-code",
    "POST /api/auth/wechat/login",
    "GET /api/me",
  ]);
  expect(wx.storage.get("wxgate.session")).not.toBe(first.session_token);
});

test("the phone number is bound with the phone button's code", async () => {
  const { wxgate } = kit("laowang");
  await wxgate.login();
  const bound = await wxgate.bindPhone("code-from-getPhoneNumber");
  expect(bound).toMatchObject({ has_phone: true, next_step: "done" });
  expect((await wxgate.me()).phone).toBeTruthy();
});

test("the profile is completed with the nickname input and the chosen avatar", async () => {
  const { wxgate } = kit("xiaohong");
  await wxgate.login();
  expect((await wxgate.setNickname("小红")).nickname).toBe("小红");
  // chooseAvatar's temporary file; a PNG whatever its name says.
  const chosen = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wxgate-avatar-")), "tmp_avatar.jpg");
  fs.copyFileSync(path.resolve(__dirname, "../../../app/src/ssr/profile/testdata/pixel.png"), chosen);
  const me = await wxgate.setAvatar(chosen);
  expect(me.avatar_url).toMatch(/^\/api\/avatars\/[0-9a-f]{64}$/);
  const served = await fetch(wxgate.avatarSource(me.avatar_url ?? ""));
  expect(served.headers.get("content-type")).toBe("image/png");
  const text = path.join(path.dirname(chosen), "not-an-image.png");
  fs.writeFileSync(text, "hello");
  await expect(wxgate.setAvatar(text)).rejects.toMatchObject({ code: "unsupported_image", status: 415 });
});

test("a payment is checked and paid as WeChat's client would, and ends PAID", async () => {
  const { wxgate } = kit();
  const [product] = await wxgate.products();
  const outcome = await wxgate.pay(product.id, 2);
  expect(outcome.status).toBe("paid");
  expect(outcome.order.status).toBe("PAID");
  expect(outcome.order.total_fen).toBe(product.price_fen * 2);
});

test("a checkout the product's backend made is paid with pay({ checkoutId }) and ends PAID", async () => {
  const { wxgate } = kit();
  await wxgate.login();
  const answer = await fetch(`${server.baseUrl}/api/v1/checkouts`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${server.apiKey(["checkouts:write"])}`,
      "Idempotency-Key": "kit-checkout-1",
      "Content-Type": "application/json",
    },
    body: JSON.stringify({
      line_items: [{ name: "Oolong", unit_fen: 1800, quantity: 3 }],
      success_url: "https://shop.example/thanks",
    }),
  });
  expect(answer.status).toBe(201);
  const checkout = (await answer.json()) as { id: string; total_fen: number };
  const outcome = await wxgate.pay({ checkoutId: checkout.id });
  expect(outcome.status).toBe("paid");
  expect(outcome.order.status).toBe("PAID");
  expect(outcome.order.total_fen).toBe(5400);
  expect(outcome.order.success_url).toBe("https://shop.example/thanks");
});

test("closing the pay sheet is a cancelled payment, not an error, and the order stays unpaid", async () => {
  const { wxgate, wx } = kit();
  wx.payChoice = "cancel";
  const outcome = await wxgate.pay("green-tea");
  expect(outcome.status).toBe("cancelled");
  expect(outcome.order.status).not.toBe("PAID");
  expect(outcome.order.payable).toBe(true);
});

test("wxgate's refusals are typed errors with its codes", async () => {
  const { wxgate } = kit();
  const refused = await wxgate.pay("no-such-product").catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(WxgateError);
  expect(refused).toMatchObject({ code: "unknown_product", status: 404 });
});

test("cookie mode carries wxgate's session cookie instead of the bearer token", async () => {
  const { wxgate, wx } = kit("xiaoming", "cookie");
  const login = await wxgate.login();
  expect(String(wx.storage.get("wxgate.session"))).toMatch(/^wxgate_session=/);
  expect((await wxgate.me()).user_id).toBe(login.user_id);
});

test("the privacy hooks pass the page's answer back to WeChat", async () => {
  const { wxgate, wx } = kit();
  let shown = 0;
  wxgate.onPrivacyNeeded(() => (shown += 1));
  wx.needPrivacy();
  expect(shown).toBe(1);
  wxgate.agreePrivacy("agree-button");
  expect(wx.privacyAnswers).toEqual([{ event: "agree", buttonId: "agree-button" }]);
});

test("a wxgate that does not answer is the network failure", async () => {
  const wx = fakeWx("http://127.0.0.1:9", server.mpAppid, "xiaoming");
  const wxgate = new Wxgate({ baseUrl: "http://127.0.0.1:9", platform: fromWx(wx), sandbox: { persona: "xiaoming" } });
  await expect(wxgate.login()).rejects.toMatchObject({ code: "network" });
});

test("a sandbox persona the sandbox does not have is refused with the sandbox's reason", async () => {
  const { wxgate } = kit("nobody-at-all");
  await expect(wxgate.login()).rejects.toMatchObject({ code: "unexpected_answer" });
});
