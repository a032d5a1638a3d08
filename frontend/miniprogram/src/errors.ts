// What a kit call can fail with, as a value a mini program can branch on: wxgate's own error codes (from the
// contract), or where the failure happened before wxgate could answer.

import type { ErrorCode } from "./types";

/** Failures that are not wxgate's answers. */
export type KitFailure =
  /** The request did not reach wxgate, or its answer could not be read. */
  | "network"
  /** WeChat's own API in the mini program failed (wx.login, wx.requestPayment, …); `message` is its errMsg. */
  | "wechat_api"
  /** wxgate answered with a status and body the contract does not describe. */
  | "unexpected_answer";

export class WxgateError extends Error {
  /** wxgate's error code, or the kit's own failure. */
  readonly code: ErrorCode | KitFailure;
  /** The HTTP status, when wxgate answered. */
  readonly status?: number;

  constructor(code: ErrorCode | KitFailure, message: string, status?: number) {
    super(message);
    this.name = "WxgateError";
    this.code = code;
    this.status = status;
  }
}

/** The error an answer with `status` and `body` stands for. */
export function fromAnswer(status: number, body: unknown): WxgateError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (error && typeof error.code === "string" && typeof error.message === "string") {
    return new WxgateError(error.code as ErrorCode, error.message, status);
  }
  return new WxgateError("unexpected_answer", `wxgate answered ${status}`, status);
}
