// A stand-in for the mini program's `wx`, as the WeChat client would behave against wxgate's sandbox: requests go
// over real HTTP; `requestPayment` shows no sheet but has the sandbox check the parameters as WeChat's client does
// (paySign verified with the merchant's key over appId, timeStamp, nonceStr and package) and then pays as the
// persona, or fails with WeChat's cancel errMsg when the test's user cancels.

import * as fs from "node:fs";
import * as path from "node:path";

import type { MiniProgramApi, PrivacyResolve } from "../../src/platform";

type Options = Record<string, unknown> & {
  success?: (result: unknown) => void;
  fail?: (error: { errMsg: string }) => void;
};

export interface FakeWx extends MiniProgramApi {
  /** `wx.cloud`, whose callContainer goes through the sandbox's Cloud Hosting gateway as this persona. */
  cloud: { callContainer(options: Options): void };
  /** What the user does in the next pay sheets: pay, or close the sheet. */
  payChoice: "pay" | "cancel";
  /** The requests sent, in order: method and path. */
  sent: string[];
  storage: Map<string, unknown>;
  /** The last privacy answer given. */
  privacyAnswers: Array<{ event: string; buttonId?: string }>;
  /** Plays an API needing privacy authorization. */
  needPrivacy(): void;
}

function settle(options: Options, work: () => Promise<unknown>): void {
  work().then(
    (result) => options.success?.(result),
    (error: Error) => options.fail?.({ errMsg: error.message }),
  );
}

export function fakeWx(baseUrl: string, appid: string, persona: string): FakeWx {
  let privacyListener: ((resolve: PrivacyResolve) => void) | undefined;
  const wx: FakeWx = {
    payChoice: "pay",
    sent: [],
    storage: new Map(),
    privacyAnswers: [],
    cloud: {
      callContainer(options: Options) {
        settle(options, async () => {
          wx.sent.push(`CLOUD ${options.method} ${options.path}`);
          const answer = await fetch(`${baseUrl}/sandbox/cloud/call-container`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({
              persona,
              path: options.path,
              method: options.method,
              header: options.header,
              data: options.data,
            }),
          });
          if (!answer.ok) {
            throw new Error(`cloud.callContainer:fail ${answer.status}`);
          }
          return answer.json();
        });
      },
    },
    needPrivacy() {
      privacyListener?.((answer) => wx.privacyAnswers.push(answer));
    },
    login(options: Options) {
      // A real wx.login code means nothing to the sandbox: the kit in sandbox mode never sends it.
      settle(options, async () => ({ code: "wx-login-code-from-the-real-client", errMsg: "login:ok" }));
    },
    checkSession(options: Options) {
      settle(options, async () => ({ errMsg: "checkSession:ok" }));
    },
    request(options: Options) {
      settle(options, async () => {
        const url = String(options.url);
        wx.sent.push(`${options.method} ${new URL(url).pathname}`);
        const answer = await fetch(url, {
          method: String(options.method),
          headers: options.header as Record<string, string>,
          body: options.data === undefined ? undefined : JSON.stringify(options.data),
        });
        const text = await answer.text();
        let data: unknown = text;
        try {
          data = JSON.parse(text);
        } catch {
          // Not JSON: wx.request hands the text over.
        }
        const header: Record<string, string | string[]> = {};
        answer.headers.forEach((value, name) => (header[name] = value));
        const cookies = answer.headers.getSetCookie();
        if (cookies.length > 0) {
          header["Set-Cookie"] = cookies;
        }
        return { statusCode: answer.status, data, header, errMsg: "request:ok" };
      });
    },
    requestPayment(options: Options) {
      settle(options, async () => {
        const sheet = { ...options, appId: appid };
        delete sheet.success;
        delete sheet.fail;
        const checked = await fetch(`${baseUrl}/sandbox/pay/jsapi/check`, {
          method: "POST",
          body: JSON.stringify(sheet),
        });
        if (!checked.ok) {
          throw new Error(`requestPayment:fail ${JSON.stringify(await checked.json())}`);
        }
        if (wx.payChoice === "cancel") {
          throw new Error("requestPayment:fail cancel");
        }
        const paid = await fetch(`${baseUrl}/sandbox/pay/jsapi/confirm`, {
          method: "POST",
          body: JSON.stringify({ ...sheet, persona }),
        });
        if (!paid.ok) {
          throw new Error(`requestPayment:fail ${JSON.stringify(await paid.json())}`);
        }
        return { errMsg: "requestPayment:ok" };
      });
    },
    uploadFile(options: Options) {
      settle(options, async () => {
        const url = String(options.url);
        wx.sent.push(`UPLOAD ${new URL(url).pathname}`);
        const form = new FormData();
        const file = fs.readFileSync(String(options.filePath));
        form.append(String(options.name), new Blob([file]), path.basename(String(options.filePath)));
        const answer = await fetch(url, { method: "POST", headers: options.header as Record<string, string>, body: form });
        // wx.uploadFile hands the body over as text.
        return { statusCode: answer.status, data: await answer.text(), header: {}, errMsg: "uploadFile:ok" };
      });
    },
    getStorageSync: (key: string) => wx.storage.get(key) ?? "",
    setStorageSync: (key: string, value: unknown) => void wx.storage.set(key, value),
    removeStorageSync: (key: string) => void wx.storage.delete(key),
    onNeedPrivacyAuthorization(listener: (resolve: PrivacyResolve) => void) {
      privacyListener = listener;
    },
  };
  return wx;
}
