// @wxjs/playwright: `startDev`/`attachDev`, the `WeChat` automation client, and the Playwright
// fixture `wechat`.
export * from "./core";
export { test, expect, PageWeChat } from "./fixture";
