import * as http from "http";
import * as crypto from "crypto";
import { AddressInfo } from "net";
import { test, expect } from "@playwright/test";
import { PageWeChat, startDev } from "../src";

// A dev server of the kind a front-end project runs: an app page that loads the library from
// WeChat's CDN, and a hot-reload WebSocket.
const APP = `<!doctype html><html><head><meta charset="utf-8"><title>my app</title>
<script src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js"></script></head><body><h1>my app</h1>
<script>
fetch("/__wxjs/info").then(function (r) { return r.json(); }).then(function (info) {
  return fetch(info.serviceUrl + "/v1/" + info.appId + "/jssdk/config?url=" + encodeURIComponent(location.href.split("#")[0])).then(function (r) { return r.json(); });
}).then(function (c) {
  wx.config({ appId: c.appId, timestamp: c.timestamp, nonceStr: c.nonceStr, signature: c.signature, jsApiList: ["chooseImage", "updateAppMessageShareData"] });
  wx.ready(function () { window.__ready = true; });
});
var hmr = new WebSocket("ws://" + location.host + "/hmr");
hmr.onopen = function () { window.__hmr = "open"; };
</script></body></html>`;

function devServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(APP);
  });
  server.on("upgrade", (req, socket) => {
    const key = String(req.headers["sec-websocket-key"] || "");
    const accept = crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("a project's own dev server runs behind --proxy, hot reload and calls included", async ({ page }) => {
  const server = await devServer();
  const port = (server.address() as AddressInfo).port;
  const dev = await startDev({ proxy: `http://127.0.0.1:${port}` });
  try {
    const wechat = new PageWeChat(dev.urls, page);
    await page.goto(dev.urls.phone + "/");
    await wechat.ready();
    await page.waitForFunction(() => (window as any).__ready === true);
    await page.waitForFunction(() => (window as any).__hmr === "open");
    await wechat.next("chooseImage", "ok", { samples: [1] });
    const r = await page.evaluate(
      () => new Promise((resolve) => (window as any).wx.chooseImage({ count: 1, success: resolve, fail: resolve, cancel: resolve })),
    );
    expect((r as any).errMsg).toBe("chooseImage:ok");
    const shared = await page.evaluate(
      () =>
        new Promise((resolve) =>
          (window as any).wx.updateAppMessageShareData({ title: "my app", desc: "d", link: location.href, imgUrl: "", success: resolve, fail: resolve }),
        ),
    );
    expect((shared as any).errMsg).toBe("updateAppMessageShareData:ok");
    await wechat.next("updateAppMessageShareData", "ok");
    await wechat.tap("share:appMessage");
    await expect
      .poll(async () => (await wechat.log()).some((e) => e.api === "updateAppMessageShareData" && e.result && e.result.shared === "ok"))
      .toBe(true);
    const log = await wechat.log();
    expect(log.some((e) => e.api === "config" && e.verification === "ok")).toBe(true);
  } finally {
    await dev.stop();
    server.close();
  }
});

// The published library from npm (weixin-js-sdk, what `import wx from "weixin-js-sdk"` bundles),
// in an app bundle as a bundler makes it: nobody here wrote it.
import * as fs from "fs";
import * as path from "path";

const PUBLISHED = fs.readFileSync(path.join(__dirname, "..", "node_modules", "weixin-js-sdk", "index.js"), "utf8");
const BUNDLE = `(function () { var module = { exports: {} };\n${PUBLISHED}\nvar wx = module.exports; window.wx = wx;
fetch("/__wxjs/info").then(function (r) { return r.json(); }).then(function (info) {
  return fetch(info.serviceUrl + "/v1/" + info.appId + "/jssdk/config?url=" + encodeURIComponent(location.href.split("#")[0])).then(function (r) { return r.json(); });
}).then(function (c) {
  wx.config({ appId: c.appId, timestamp: c.timestamp, nonceStr: c.nonceStr, signature: c.signature, jsApiList: ["chooseImage", "updateAppMessageShareData"] });
  wx.ready(function () { window.__ready = true; });
  wx.error(function (e) { window.__error = e.errMsg; });
});
})();`;

test("an app bundling weixin-js-sdk from npm runs behind --proxy, its calls verified", async ({ page }) => {
  const server = http.createServer((req, res) => {
    if (req.url === "/assets/index.js") {
      res.writeHead(200, { "Content-Type": "text/javascript" });
      return res.end(BUNDLE);
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end('<!doctype html><html><head><meta charset="utf-8"><title>vite app</title><script type="module" src="/assets/index.js"></script></head><body><div id="app"></div></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const dev = await startDev({ proxy: `http://127.0.0.1:${port}` });
  try {
    const wechat = new PageWeChat(dev.urls, page);
    await page.goto(dev.urls.phone + "/");
    await wechat.ready();
    await page.waitForFunction(() => (window as any).__ready === true || (window as any).__error);
    expect(await page.evaluate(() => (window as any).__error || "ready")).toBe("ready");
    await wechat.next("chooseImage", "ok", { samples: [2] });
    const img = await page.evaluate(() => new Promise((resolve) => (window as any).wx.chooseImage({ count: 1, success: resolve, fail: resolve, cancel: resolve })));
    expect((img as any).errMsg).toBe("chooseImage:ok");
    const shared = await page.evaluate(
      () => new Promise((resolve) => (window as any).wx.updateAppMessageShareData({ title: "t", desc: "d", link: location.href, imgUrl: "", success: resolve, fail: resolve })),
    );
    expect((shared as any).errMsg).toBe("updateAppMessageShareData:ok");
    const log = await wechat.log();
    expect(log.some((e) => e.api === "config" && e.verification === "ok")).toBe(true);
  } finally {
    await dev.stop();
    server.close();
  }
});
