// The few mini-program APIs the kit uses, behind one interface, with an adapter for native mini programs (`wx`) and
// one for Taro (`Taro`): the kit itself never touches either global.

/** An HTTP request as `wx.request` takes it. */
export interface HttpRequest {
  url: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  header: Record<string, string>;
  data?: unknown;
}

/** An HTTP answer: its status, its body (parsed when JSON) and its headers. */
export interface HttpAnswer {
  statusCode: number;
  data: unknown;
  header: Record<string, string | string[] | undefined>;
  /** The cookies the answer set, as `wx.request` gives them. */
  cookies?: string[];
}

/** What `wx.requestPayment` takes. */
export interface PaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: string;
  paySign: string;
}

/** How `wx.onNeedPrivacyAuthorization` lets the page answer. */
export type PrivacyResolve = (answer: { event: "agree" | "disagree"; buttonId?: string }) => void;

export interface Platform {
  /** `wx.login`'s code. */
  login(): Promise<string>;
  /** Whether WeChat's own session (the session_key behind the last login) is still good (`wx.checkSession`). */
  checkSession(): Promise<boolean>;
  /** Rejects only when no answer came (a network failure); any status resolves. */
  request(request: HttpRequest): Promise<HttpAnswer>;
  /** Resolves when paid; rejects with WeChat's `errMsg` otherwise (`requestPayment:fail cancel` when the user cancelled). */
  requestPayment(params: PaymentParams): Promise<void>;
  /** `wx.uploadFile`: a local file sent as multipart. */
  uploadFile(upload: { url: string; filePath: string; name: string; header: Record<string, string> }): Promise<HttpAnswer>;
  getStorage(key: string): string | undefined;
  setStorage(key: string, value: string): void;
  removeStorage(key: string): void;
  /** `wx.onNeedPrivacyAuthorization`, where the base library has it. */
  onNeedPrivacyAuthorization?(listener: (resolve: PrivacyResolve) => void): void;
  /** Requests reach wxgate through WeChat Cloud Hosting's gateway, which says who is calling: no login code. */
  cloudHosting?: boolean;
  /** The platform keeps cookies itself (a browser), so the kit neither reads nor sends them. */
  keepsCookies?: boolean;
}

/** The callback style both `wx` and `Taro` accept, as a promise; `fail` carries WeChat's errMsg. */
function call<T>(api: (options: Record<string, unknown>) => unknown, options: Record<string, unknown>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    api({
      ...options,
      success: (result: T) => resolve(result),
      fail: (error: { errMsg?: string }) => reject(new Error(error?.errMsg ?? "fail")),
    });
  });
}

/** The subset of `wx` (or `Taro`) the adapters call. */
export interface MiniProgramApi {
  login(options: Record<string, unknown>): unknown;
  checkSession(options: Record<string, unknown>): unknown;
  request(options: Record<string, unknown>): unknown;
  requestPayment(options: Record<string, unknown>): unknown;
  uploadFile(options: Record<string, unknown>): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: unknown): void;
  removeStorageSync(key: string): void;
  onNeedPrivacyAuthorization?(listener: (resolve: PrivacyResolve) => void): void;
}

function adapter(api: MiniProgramApi, requestExtras: Record<string, unknown>): Platform {
  return {
    login: async () => (await call<{ code: string }>(api.login.bind(api), {})).code,
    checkSession: () =>
      call<unknown>(api.checkSession.bind(api), {}).then(
        () => true,
        () => false,
      ),
    request: (request) =>
      call<HttpAnswer>(api.request.bind(api), { ...request, ...requestExtras, dataType: "json" }),
    requestPayment: (params) => call<void>(api.requestPayment.bind(api), { ...params }),
    uploadFile: async (upload) => {
      const answer = await call<HttpAnswer>(api.uploadFile.bind(api), { ...upload });
      // wx.uploadFile hands the body back as text.
      const data = typeof answer.data === "string" ? parseJson(answer.data) : answer.data;
      return { ...answer, data };
    },
    getStorage: (key) => {
      const value = api.getStorageSync(key);
      return typeof value === "string" && value !== "" ? value : undefined;
    },
    setStorage: (key, value) => api.setStorageSync(key, value),
    removeStorage: (key) => api.removeStorageSync(key),
    onNeedPrivacyAuthorization: api.onNeedPrivacyAuthorization?.bind(api),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `wx.cloud`'s `callContainer`, for mini programs whose wxgate runs on WeChat Cloud Hosting. */
export interface CloudApi {
  callContainer(options: Record<string, unknown>): unknown;
}

/**
 * A native mini program calling wxgate on WeChat Cloud Hosting: requests go through `wx.cloud.callContainer` to
 * `service` in `env` (the Wxgate's `baseUrl` is then `""` and URLs are paths), and the gateway adds who is calling,
 * so `login()` needs no code (wxgate needs `WXGATE_CLOUD_HOSTING=1`). Uploads still go by `wx.uploadFile`.
 */
export function fromWxCloud(wx: MiniProgramApi & { cloud: CloudApi }, options: { env: string; service: string }): Platform {
  const platform = adapter(wx, {});
  return {
    ...platform,
    cloudHosting: true,
    request: (request) =>
      call<HttpAnswer>(wx.cloud.callContainer.bind(wx.cloud), {
        config: { env: options.env },
        path: request.url,
        method: request.method,
        header: { ...request.header, "X-WX-SERVICE": options.service },
        data: request.data,
      }),
  };
}

/** A native mini program: `fromWx(wx)`. */
export function fromWx(wx: MiniProgramApi): Platform {
  return adapter(wx, {});
}

/**
 * Taro: `fromTaro(Taro)`. With `cookies: true`, requests go with `enableCookie` (and `credentials: "include"` for
 * Taro's H5 target), for apps that keep the session in the cookie rather than the bearer token; add `browser: true`
 * in the H5 build, where the browser keeps the cookie and scripts cannot read it.
 */
export function fromTaro(taro: MiniProgramApi, options: { cookies?: boolean; browser?: boolean } = {}): Platform {
  const platform = adapter(taro, options.cookies ? { enableCookie: true, credentials: "include" } : {});
  return { ...platform, keepsCookies: options.cookies === true && options.browser === true };
}
