/**
 * @jest-environment ./test/support/jsdom-with-fetch.js
 */
// The example mini program's shop component under miniprogram-simulate, against a real wxgate in sandbox mode:
// it logs in and shows the account, binds the phone, sets the nickname and avatar, buys a product (paid, then a
// cancelled one), and answers the privacy prompt, as a person would tap through it.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import simulate from "miniprogram-simulate";

import { fakeWx, FakeWx } from "./support/wx";
import { RunningWxgate, startWxgate } from "./support/wxgate";

const shop = path.resolve(__dirname, "../example/components/shop/shop");

let server: RunningWxgate;
/** The component, registered once (its file runs once under jest's module registry). */
let shopId: string;

beforeAll(async () => {
  server = await startWxgate();
  shopId = simulate.load(shop, { compiler: "simulate" });
});

afterAll(async () => {
  await server.stop();
});

type Shop = ReturnType<typeof simulate.render>;

/** The shop rendered for `persona`, with `wx` the stand-in, once its first screen has loaded. */
async function openShop(persona: string): Promise<{ comp: Shop; wx: FakeWx }> {
  const wx = fakeWx(server.baseUrl, server.mpAppid, persona);
  (globalThis as { wx?: unknown }).wx = wx;
  const comp = simulate.render(shopId, {
    baseUrl: server.baseUrl,
    persona,
  });
  comp.attach(document.createElement("parent-wrapper"));
  await until(comp, () => comp.data.me !== null && comp.data.products.length > 0);
  return { comp, wx };
}

/** Waits for the component's asynchronous handler to land (or fails with what the page shows). */
async function until(comp: Shop, settled: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (settled()) {
      return;
    }
    await simulate.sleep(25);
  }
  throw new Error(`the shop never settled: ${JSON.stringify(comp.data)}`);
}

function text(comp: Shop, selector: string): string {
  return comp.querySelector(selector)?.dom?.textContent?.trim() ?? "";
}

test("a person logs in, completes the account, buys a product and sees it paid", async () => {
  const { comp, wx } = await openShop("xiaoming");
  expect(comp.data.error).toBe("");
  expect(comp.querySelectorAll(".product").length).toBe(comp.data.products.length);

  comp.querySelector(".bind-phone")?.dispatchEvent("getphonenumber", { detail: { code: "from-the-button" } });
  await until(comp, () => comp.data.me.has_phone === true);
  expect(text(comp, ".phone")).not.toBe("");

  comp.querySelector(".nickname")?.dispatchEvent("input", { detail: { value: "小明" } });
  comp.querySelector(".nickname")?.dispatchEvent("nicknamereview", { detail: { pass: true, timeout: false } });
  await until(comp, () => comp.data.me.nickname === "小明");
  const chosen = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wxgate-example-")), "tmp_avatar.png");
  fs.copyFileSync(path.resolve(__dirname, "../../../app/src/ssr/profile/testdata/pixel.png"), chosen);
  comp.querySelector(".avatar")?.dispatchEvent("chooseavatar", { detail: { avatarUrl: chosen } });
  await until(comp, () => comp.data.avatarSrc !== "");
  expect(comp.data.avatarSrc).toMatch(/\/api\/avatars\/[0-9a-f]{64}$/);

  comp.querySelector(".buy")?.dispatchEvent("tap");
  await until(comp, () => comp.data.outcome !== "");
  expect(comp.data.error).toBe("");
  expect(text(comp, ".outcome")).toBe("paid");
  expect(text(comp, ".order-status")).toBe("PAID");
  // The first product is physical goods: paid, it waits for the merchant to dispatch it.
  expect(text(comp, ".order-shipping")).toBe("AWAITING_DISPATCH");
  expect(wx.sent).toContain("POST /api/payments/miniprogram/create");
});

test("closing WeChat's pay sheet shows a cancelled, unpaid order", async () => {
  const { comp, wx } = await openShop("xiaohong");
  wx.payChoice = "cancel";
  comp.querySelector(".buy")?.dispatchEvent("tap");
  await until(comp, () => comp.data.outcome !== "");
  expect(text(comp, ".outcome")).toBe("cancelled");
  expect(text(comp, ".order-status")).not.toBe("PAID");
  expect(comp.data.error).toBe("");
});

test("the privacy prompt is shown and the person's agreement goes back to WeChat", async () => {
  const { comp, wx } = await openShop("laowang");
  wx.needPrivacy();
  await until(comp, () => comp.data.privacyNeeded === true);
  comp.querySelector("#agree-privacy")?.dispatchEvent("agreeprivacyauthorization");
  await until(comp, () => comp.data.privacyNeeded === false);
  expect(wx.privacyAnswers).toEqual([{ event: "agree", buttonId: "agree-privacy" }]);
});
