// jsdom, as miniprogram-simulate renders components into it, with Node's fetch and friends, which the `wx`
// stand-in uses to reach wxgate and which jsdom does not have.
const { TestEnvironment } = require("jest-environment-jsdom");

class JsdomWithFetch extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.assign(this.global, { fetch, Headers, Request, Response, FormData, Blob, TextEncoder, TextDecoder });
  }
}

module.exports = JsdomWithFetch;
