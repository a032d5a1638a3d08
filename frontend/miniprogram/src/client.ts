// wxgate for a mini program: log in with wx.login, keep the session, call the JSON API with it (logging in again,
// once and silently, when wxgate says the session is gone), bind the phone number, and pay with
// wx.requestPayment. Every answer is typed by the contract; every failure is a WxgateError.

import { fromAnswer, WxgateError } from "./errors";
import type { HttpAnswer, HttpRequest, Platform, PrivacyResolve } from "./platform";
import type { LoginAnswer, MeAnswer, MiniProgramPayment, OrderDetail, Product, UserState } from "./types";

export interface WxgateOptions {
  /** Where wxgate answers, e.g. `https://wxgate.example.com` (no trailing slash needed). */
  baseUrl: string;
  /** `fromWx(wx)` or `fromTaro(Taro)`. */
  platform: Platform;
  /**
   * How requests carry the session: `bearer` (the default: the login's `session_token` in `Authorization`), or
   * `cookie` (wxgate's session cookie, for apps that use Taro's `enableCookie`).
   */
  session?: "bearer" | "cookie";
  /**
   * Against `wxgate serve` in sandbox mode (`make run`): real `wx.login` and phone-button codes cannot reach the
   * sandbox, so the kit asks the sandbox for a code of this persona instead. Set it only for the sandbox; the kit
   * never guesses.
   */
  sandbox?: { persona: string };
  /** The storage key of the session; `wxgate.session` by default. */
  storageKey?: string;
  /** How many times `pay` asks for the order's final status after `requestPayment` succeeds (every 500 ms). */
  paymentChecks?: number;
}

/** How a payment ended: paid, cancelled by the user in WeChat's pay sheet, or still pending at WeChat Pay. */
/**
 * What to pay: a product of wxgate's catalogue (and how many), or a checkout your backend made with
 * `POST /api/v1/checkouts` (its `id`), which becomes the signed-in user's order.
 */
export type PayTarget = { productId: string; quantity?: number } | { checkoutId: string };

export type PaymentOutcome =
  | { status: "paid"; order: OrderDetail }
  | { status: "cancelled"; order: OrderDetail }
  | { status: "pending"; order: OrderDetail };

type Method = HttpRequest["method"];

const SESSION_COOKIE = "wxgate_session";
/** Stored in cookie mode when the platform keeps the cookie itself. */
const KEPT_BY_PLATFORM = "kept-by-platform";

export class Wxgate {
  private readonly baseUrl: string;
  private readonly platform: Platform;
  private readonly mode: "bearer" | "cookie";
  private readonly storageKey: string;
  private readonly paymentChecks: number;
  private readonly sandbox?: { persona: string };
  private pendingPrivacy?: PrivacyResolve;

  constructor(options: WxgateOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.platform = options.platform;
    this.mode = options.session ?? "bearer";
    this.storageKey = options.storageKey ?? "wxgate.session";
    this.paymentChecks = options.paymentChecks ?? 20;
    this.sandbox = options.sandbox;
  }

  /**
   * Logs in afresh: wx.login's code (or the sandbox's) exchanged by wxgate for a session, which is kept; on Cloud
   * Hosting (`fromWxCloud`) the gateway's word for who is calling, with no code.
   */
  async login(): Promise<LoginAnswer> {
    const answer = this.platform.cloudHosting
      ? await this.send("POST", "/api/auth/wechat/cloud-login")
      : await this.send("POST", "/api/auth/wechat/login", { code: await this.loginCode() });
    if (answer.statusCode !== 200) {
      throw fromAnswer(answer.statusCode, answer.data);
    }
    const login = answer.data as LoginAnswer;
    this.platform.setStorage(this.storageKey, this.mode === "cookie" ? this.cookieSession(answer) : login.session_token);
    return login;
  }

  /**
   * What cookie mode keeps: the session cookie to send as `Cookie`, or, where the platform keeps cookies itself and
   * hides them from scripts (Taro's H5 build, `fromTaro(Taro, { cookies: true })`), a marker that a session exists.
   */
  private cookieSession(answer: HttpAnswer): string {
    return sessionCookie(answer) ?? (this.platform.keepsCookies ? KEPT_BY_PLATFORM : "");
  }

  /** wx.login's code, or in sandbox mode the sandbox persona's. */
  private async loginCode(): Promise<string> {
    return this.sandbox ? this.sandboxCode("/sandbox/mp/login-code") : this.wechat(() => this.platform.login());
  }

  /**
   * Logs in unless a session is kept and, where the session came from `wx.login`, WeChat's own session
   * (`wx.checkSession`) is still good. In sandbox mode and on Cloud Hosting no `wx.login` was made, so there is no
   * WeChat session to check: a kept session is used, and a 401 logs in again.
   */
  async ensureLoggedIn(): Promise<void> {
    const kept = this.platform.getStorage(this.storageKey) !== undefined;
    const fromWxLogin = !this.sandbox && !this.platform.cloudHosting;
    if (kept && (!fromWxLogin || (await this.platform.checkSession()))) {
      return;
    }
    await this.login();
  }

  /** Whether a session is kept (it may still have ended at wxgate; the next call finds out and logs in again). */
  get loggedIn(): boolean {
    return this.platform.getStorage(this.storageKey) !== undefined;
  }

  /**
   * Calls the JSON API with the session; a 401 logs in again once, silently, and repeats the call. Resolves with
   * the answer's JSON for a 2xx, rejects with a WxgateError otherwise.
   */
  request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    return this.withSession<T>(() => this.send(method, path, body));
  }

  /** Runs `call` with the session (logging in first when none is kept, and again once on a 401); its 2xx JSON. */
  private async withSession<T>(call: () => Promise<HttpAnswer>): Promise<T> {
    if (!this.loggedIn) {
      await this.login();
    }
    let answer = await call();
    if (answer.statusCode === 401) {
      await this.login();
      answer = await call();
    }
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      throw fromAnswer(answer.statusCode, answer.data);
    }
    return answer.data as T;
  }

  /** The signed-in user. */
  me(): Promise<MeAnswer> {
    return this.request<MeAnswer>("GET", "/api/me");
  }

  /** Binds the phone number behind a `<button open-type="getPhoneNumber">`'s `event.detail.code`. */
  async bindPhone(code: string): Promise<UserState> {
    const phoneCode = this.sandbox ? await this.sandboxCode("/sandbox/mp/phone-code") : code;
    return this.request<UserState>("POST", "/api/auth/wechat/phone", { code: phoneCode });
  }

  /**
   * Sets the nickname the user typed in `<input type="nickname">`, once its `bindnicknamereview` said `pass: true`
   * (`getUserProfile` no longer gives a real one).
   */
  setNickname(nickname: string): Promise<MeAnswer> {
    return this.request<MeAnswer>("PUT", "/api/me/profile", { nickname });
  }

  /**
   * Uploads the avatar `<button open-type="chooseAvatar">` chose (`event.detail.avatarUrl`, a temporary file):
   * JPEG, PNG or WebP up to 1 MiB. The answer's `avatar_url` is relative to wxgate: show it with `avatarSource`.
   */
  setAvatar(tempFilePath: string): Promise<MeAnswer> {
    return this.withSession<MeAnswer>(() =>
      this.wechat(() =>
        this.platform.uploadFile({
          url: `${this.baseUrl}/api/me/avatar`,
          filePath: tempFilePath,
          name: "avatar",
          header: this.sessionHeader(),
        }),
      ),
    );
  }

  /** Where an `avatar_url` from wxgate can be shown from: WeChat's URLs as they are, uploaded ones on wxgate. */
  avatarSource(avatarUrl: string): string {
    return avatarUrl.startsWith("/") ? this.baseUrl + avatarUrl : avatarUrl;
  }

  /** What is on sale. */
  products(): Promise<Product[]> {
    return this.request<Product[]>("GET", "/api/products");
  }

  /** An order of the signed-in user. */
  order(orderId: string): Promise<OrderDetail> {
    return this.request<OrderDetail>("GET", `/api/orders/${encodeURIComponent(orderId)}`);
  }

  /**
   * Buys `quantity` of the product `target` names, or pays the checkout `{ checkoutId }` your backend made: wxgate
   * makes the order and signs the payment, `wx.requestPayment` shows WeChat's pay sheet, then wxgate is asked for
   * the order until WeChat Pay has settled it. A user who closes the pay sheet gets `cancelled`, never an error; a
   * failed payment rejects with the `wechat_api` code and WeChat's errMsg.
   */
  async pay(target: string | PayTarget, quantity = 1): Promise<PaymentOutcome> {
    const body =
      typeof target === "string"
        ? { product_id: target, quantity }
        : "checkoutId" in target
          ? { checkout_id: target.checkoutId }
          : { product_id: target.productId, quantity: target.quantity ?? 1 };
    const payment = await this.request<MiniProgramPayment>("POST", "/api/payments/miniprogram/create", body);
    try {
      await this.platform.requestPayment({
        timeStamp: payment.timeStamp,
        nonceStr: payment.nonceStr,
        package: payment.package,
        signType: payment.signType,
        paySign: payment.paySign,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/fail[ :]?cancel/.test(message)) {
        return { status: "cancelled", order: await this.order(payment.order_id) };
      }
      throw new WxgateError("wechat_api", message);
    }
    let order = await this.order(payment.order_id);
    for (let check = 1; check < this.paymentChecks && !isSettled(order); check += 1) {
      await delay(500);
      order = await this.order(payment.order_id);
    }
    return { status: isSettled(order) ? "paid" : "pending", order };
  }

  /** Ends the session at wxgate and forgets it here. */
  async logout(): Promise<void> {
    if (this.loggedIn) {
      await this.send("POST", "/api/auth/logout");
    }
    this.platform.removeStorage(this.storageKey);
  }

  /**
   * The privacy-authorization hooks: `show` is called when an API needs the user's agreement to the mini program's
   * privacy guidelines (`wx.onNeedPrivacyAuthorization`); the page shows its privacy pop-up and calls
   * `agreePrivacy(buttonId)` (the id of its `open-type="agreePrivacyAuthorization"` button) or `disagreePrivacy()`.
   */
  onPrivacyNeeded(show: () => void): void {
    this.platform.onNeedPrivacyAuthorization?.((resolve) => {
      this.pendingPrivacy = resolve;
      show();
    });
  }

  agreePrivacy(buttonId?: string): void {
    this.pendingPrivacy?.({ event: "agree", buttonId });
    this.pendingPrivacy = undefined;
  }

  disagreePrivacy(): void {
    this.pendingPrivacy?.({ event: "disagree" });
    this.pendingPrivacy = undefined;
  }

  /** The header that carries the kept session, if any. */
  private sessionHeader(): Record<string, string> {
    const session = this.platform.getStorage(this.storageKey);
    if (!session || session === KEPT_BY_PLATFORM) {
      return {};
    }
    return this.mode === "bearer" ? { Authorization: `Bearer ${session}` } : { Cookie: session };
  }

  private async send(method: Method, path: string, body?: unknown): Promise<HttpAnswer> {
    const header: Record<string, string> = { Accept: "application/json", ...this.sessionHeader() };
    if (body !== undefined) {
      header["Content-Type"] = "application/json";
    }
    try {
      return await this.platform.request({ url: this.baseUrl + path, method, header, data: body });
    } catch (error) {
      throw new WxgateError("network", error instanceof Error ? error.message : String(error));
    }
  }

  /** A code of the configured persona, from the sandbox's control API. */
  private async sandboxCode(route: string): Promise<string> {
    const answer = await this.send("POST", route, { persona: this.sandbox?.persona });
    const code = (answer.data as { code?: unknown } | null)?.code;
    if (answer.statusCode !== 200 || typeof code !== "string") {
      throw new WxgateError(
        "unexpected_answer",
        `the sandbox gave no code for ${this.sandbox?.persona} (${answer.statusCode} ${JSON.stringify(answer.data)}); ` +
          "the sandbox option needs wxgate in sandbox mode (WXGATE_MODE=sandbox) and one of its personas",
        answer.statusCode,
      );
    }
    return code;
  }

  private async wechat<T>(api: () => Promise<T>): Promise<T> {
    try {
      return await api();
    } catch (error) {
      throw new WxgateError("wechat_api", error instanceof Error ? error.message : String(error));
    }
  }
}

function isSettled(order: OrderDetail): boolean {
  return order.status === "PAID" || order.status === "PARTIALLY_REFUNDED" || order.status === "REFUNDED";
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `wxgate_session=…` from a login answer, for cookie mode: `wx.request` hands the cookies over as `cookies`; a
 * Set-Cookie header may hold several, comma-joined.
 */
function sessionCookie(answer: HttpAnswer): string | undefined {
  const setCookie = Object.entries(answer.header).find(([name]) => name.toLowerCase() === "set-cookie")?.[1];
  const fromHeader = Array.isArray(setCookie) ? setCookie : setCookie ? setCookie.split(/,(?=\s*[^;,=\s]+=)/) : [];
  for (const cookie of [...(answer.cookies ?? []), ...fromHeader]) {
    const pair = cookie.split(";")[0].trim();
    if (pair.startsWith(`${SESSION_COOKIE}=`)) {
      return pair;
    }
  }
  return undefined;
}
