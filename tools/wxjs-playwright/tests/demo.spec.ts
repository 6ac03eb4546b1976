import { test, expect } from "../src";

test("the demo page verifies its config and shares what updateAppMessageShareData set", async ({ page, wechat }) => {
  await page.goto(wechat.urls.phone + "/");
  await wechat.ready();
  await expect(page.locator("#status")).toHaveText(/wx\.config verified/);
  await page.click("button[data-api=updateAppMessageShareData]");
  await expect(page.locator("button[data-api=updateAppMessageShareData] + output")).toHaveText(/^success/);
  await wechat.next("updateAppMessageShareData", "ok");
  await wechat.tap("share:appMessage");
  await expect
    .poll(async () => (await wechat.log()).some((e) => e.api === "updateAppMessageShareData" && e.result && e.result.shared === "ok"))
    .toBe(true);
});

for (const [name, action] of [["first", "ok"], ["second", "cancel"]] as const) {
  test(`parallel workers keep their own answers (${name})`, async ({ page, wechat }) => {
    await page.goto(wechat.urls.phone + "/");
    await wechat.ready();
    await expect(page.locator("#status")).toHaveText(/wx\.config verified/);
    await wechat.next("chooseImage", action, { samples: [0] });
    await page.click("button[data-api=chooseImage]");
    const expected = action === "ok" ? /^success/ : /^cancel/;
    await expect(page.locator("button[data-api=chooseImage] + output")).toHaveText(expected);
    const pages = await wechat.pages();
    expect(pages.some((p) => p.id === wechat.page)).toBe(true);
  });
}
