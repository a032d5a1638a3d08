// The kit on WeChat Cloud Hosting: requests through wx.cloud.callContainer (here the sandbox's gateway, which adds
// the persona's X-WX-* headers) to a wxgate with WXGATE_CLOUD_HOSTING=1; logging in needs no code.

import { fromWxCloud, Wxgate } from "../src";
import { fakeWx } from "./support/wx";
import { RunningWxgate, startWxgate } from "./support/wxgate";

let server: RunningWxgate;

beforeAll(async () => {
  server = await startWxgate({ WXGATE_CLOUD_HOSTING: "1" });
});

afterAll(async () => {
  await server.stop();
});

test("on Cloud Hosting the gateway's word signs the user in and every call goes through it", async () => {
  const wx = fakeWx(server.baseUrl, server.mpAppid, "xiaohong");
  const wxgate = new Wxgate({ baseUrl: "", platform: fromWxCloud(wx, { env: "prod-1a2b", service: "wxgate" }) });
  const login = await wxgate.login();
  const me = await wxgate.me();
  expect(me.user_id).toBe(login.user_id);
  expect(me.identities[0].provider).toBe("wechat_mp");
  expect(wx.sent).toEqual(["CLOUD POST /api/auth/wechat/cloud-login", "CLOUD GET /api/me"]);
});
