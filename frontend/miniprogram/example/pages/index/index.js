// The page only says where wxgate is; the shop component does the rest.
const config = require("../../config");

Page({
  data: { baseUrl: config.baseUrl, persona: config.persona || "" },
});
