// Where the example's wxgate is. Against `make run` (sandbox mode) the kit asks the sandbox for the persona's login
// and phone codes, as real wx.login codes cannot reach it; against a live wxgate, remove `persona`.
module.exports = {
  baseUrl: "http://127.0.0.1:3000",
  persona: "xiaoming",
};
