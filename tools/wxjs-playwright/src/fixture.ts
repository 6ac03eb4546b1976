// The Playwright fixture: `wechat` for the page under test, on a `wxjs dev` per worker (or the
// one `WXJS_DEV_URLS` names, as JSON of the three URLs).

import { test as base, expect, Page } from "@playwright/test";
import { CDN_LIBRARY, buildFor, Dev, DevUrls, WeChat, attachDev, startDev } from "./core";

/** The page's id in the emulated app, once its bridge has loaded. */
async function pageId(page: Page): Promise<string | undefined> {
  try {
    await page.waitForFunction(() => (window as any).__wxjsClient && (window as any).__wxjsClient.session, undefined, { timeout: 5000 });
    return await page.evaluate(() => (window as any).__wxjsClient.session as string);
  } catch {
    return undefined;
  }
}

/** `wechat` follows the page: after each navigation it addresses the page's new session. */
export class PageWeChat extends WeChat {
  constructor(urls: DevUrls, private readonly p: Page) {
    super(urls);
    p.on("load", () => {
      pageId(p).then((id) => {
        if (id) this.page = id;
      });
    });
  }

  /** Addresses the page the test is on now (after a navigation, its new session). */
  private async follow(): Promise<void> {
    const id = await pageId(this.p);
    if (id) this.page = id;
  }

  async next(api: string, action: "ok" | "cancel" | "fail" = "ok", data?: unknown): Promise<void> {
    await this.follow();
    return super.next(api, action, data);
  }

  async tap(menu: string): Promise<void> {
    await this.follow();
    return super.tap(menu);
  }

  async log(): Promise<any[]> {
    await this.follow();
    return super.log();
  }

  /** Waits until the page's bridge has loaded, and addresses that page. */
  async ready(): Promise<string> {
    const id = await pageId(this.p);
    if (!id) throw new Error("the page has no WeChat bridge (is it served by the phone origin?)");
    this.page = id;
    return id;
  }
}

export const test = base.extend<{ wechat: PageWeChat }, { wxjsDev: Dev }>({
  wxjsDev: [
    async ({}, use) => {
      const given = process.env.WXJS_DEV_URLS;
      const dev = given ? attachDev(JSON.parse(given)) : await startDev({ staticDir: process.env.WXJS_STATIC, proxy: process.env.WXJS_PROXY });
      await use(dev);
      await dev.stop();
    },
    { scope: "worker" },
  ],
  wechat: async ({ page, wxjsDev }, use) => {
    // Pages that load the library from WeChat's CDN get wxjs's build, offline.
    await page.route(CDN_LIBRARY, async (route) => {
      const m = route.request().url().match(CDN_LIBRARY);
      const res = await fetch(wxjsDev.urls.phone + buildFor(m ? m[1] : "1.6.0"));
      await route.fulfill({ status: res.status, contentType: "text/javascript; charset=utf-8", body: await res.text() });
    });
    await use(new PageWeChat(wxjsDev.urls, page));
  },
});

export { expect };
