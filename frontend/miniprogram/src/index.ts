// wxgate's mini-program kit: `new Wxgate({ baseUrl, platform: fromWx(wx) })` in a native mini program,
// `platform: fromTaro(Taro)` in Taro.

export { Wxgate } from "./client";
export type { PaymentOutcome, PayTarget, WxgateOptions } from "./client";
export { WxgateError } from "./errors";
export type { KitFailure } from "./errors";
export { fromTaro, fromWx, fromWxCloud } from "./platform";
export type { CloudApi, HttpAnswer, HttpRequest, MiniProgramApi, PaymentParams, Platform } from "./platform";
export type * from "./types";
