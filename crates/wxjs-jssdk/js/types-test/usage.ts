// Type-checks crates/wxjs-jssdk/js/jweixin.d.ts the way a page uses it (run by scripts/test with tsc --strict).
wx.config({ debug: false, appId: "wxdemo000000000001", timestamp: 1414587457, nonceStr: "n", signature: "s", jsApiList: ["chooseImage", "onMenuShareTimeline"] });
wx.ready(() => {
  wx.onMenuShareTimeline({ title: "t", link: location.href, imgUrl: "", trigger: (argv) => console.log(argv), success: (r) => console.log(r.errMsg) });
  wx.onMenuShareAppMessage({ title: "t", desc: "d", type: "music", dataUrl: "http://x/a.mp3" });
  wx.chooseImage({ count: 1, sizeType: ["compressed"], success: (r) => { const first: string = r.localIds[0]; wx.uploadImage({ localId: first, isShowProgressTips: 0, success: (u) => console.log(u.serverId) }); } });
  wx.getNetworkType({ success: (r) => console.log(r.networkType) });
  wx.getLocation({ type: "gcj02", success: (r) => console.log(r.latitude + r.longitude + r.speed + r.accuracy) });
  wx.checkJsApi({ jsApiList: ["chooseWXPay"], success: (r) => console.log(r.checkResult.chooseWXPay) });
  wx.hideMenuItems({ menuList: ["menuItem:share:timeline", "menuItem:copyUrl"] });
  wx.scanQRCode({ needResult: 1, scanType: ["qrCode"], success: (r) => console.log(r.resultStr) });
  wx.addCard({ cardList: [{ cardId: "c", cardExt: "{}" }], success: (r) => console.log(r.cardList[0].isSuccess) });
  wx.chooseCard({ timestamp: 1, nonceStr: "n", cardSign: "s", success: (r) => JSON.parse(r.cardList) });
  wx.chooseWXPay({ timestamp: 1, nonceStr: "n", package: "prepay_id=1", signType: "MD5", paySign: "p" });
  jWeixin.closeWindow();
});
wx.error((res) => console.log(res.errMsg));
// @ts-expect-error: not an interface of jweixin 1.0.0
wx.config({ appId: "a", timestamp: 1, nonceStr: "n", signature: "s", jsApiList: ["flyAway"] });

// The 1.6.0 build.
wx.config({ debug: false, appId: "wxdemo000000000001", timestamp: 1, nonceStr: "n", signature: "s", jsApiList: ["updateAppMessageShareData", "chooseInvoice"], openTagList: ["wx-open-launch-weapp"] });
wx.updateAppMessageShareData({ title: "t", desc: "d", link: location.href, imgUrl: "https://x/i.png", success: (r) => console.log(r.errMsg) });
wx.updateTimelineShareData({ title: "t", link: location.href, imgUrl: "https://x/i.png" });
wx.getLocalImgData({ localId: "wxlocalresource://1", success: (r) => console.log(r.localData.length) });
wx.openAddress({ success: (a) => console.log(a.provinceName, a.cityName, a.countryName, a.detailInfo, a.postalCode, a.telNumber) });
wx.openBusinessView({ businessType: "wxpayScoreEnable", success: (r) => console.log(r.errCode, r.extraData) });
wx.launchMiniProgram({ appId: "gh_abc", path: "pages/index?x=1", envVersion: "release" });
wx.onSearchBeacons({ success: (r) => console.log(r.beacons.map((b) => b.uuid)) });
wx.miniProgram.navigateTo({ url: "/pages/a" });
wx.miniProgram.postMessage({ data: { a: 1 } });
wx.miniProgram.getEnv((env) => console.log(env.miniprogram));
if (wx.invoke) wx.invoke("chooseInvoice", { timestamp: 1, nonceStr: "n", signType: "SHA1", cardSign: "s" }, (res) => console.log(res));
document.addEventListener("WeixinOpenTagsError", (e) => console.log(e.detail.errMsg));
