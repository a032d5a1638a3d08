// The JSON API's types by name, from the generated contract (src/contract.ts, made by `make contract-types`).

import type { components } from "./contract";

type Schemas = components["schemas"];

export type ErrorCode = Schemas["ErrorCode"];
export type ErrorAnswer = Schemas["ErrorAnswer"];
export type LoginAnswer = Schemas["LoginAnswer"];
export type UserState = Schemas["UserState"];
export type MeAnswer = Schemas["MeAnswer"];
export type Product = Schemas["Product"];
export type MiniProgramPayment = Schemas["MiniProgramPayment"];
export type OrderDetail = Schemas["OrderDetail"];
export type OrderStatus = Schemas["OrderStatus"];
export type Goods = Schemas["Goods"];
export type ShippingLine = Schemas["ShippingLine"];
export type ShippingState = Schemas["ShippingState"];
export type ProviderEntry = Schemas["ProviderEntry"];
