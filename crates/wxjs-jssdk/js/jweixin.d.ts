// TypeScript declarations of wxjs's `wx` library (jweixin 1.0.0 and 1.6.0): every interface, its
// options and its result; what 1.6.0 added is marked "1.6.0 build", open tags and wx.miniProgram
// included. `declare const wx` and `jWeixin` are the same object; under AMD/CMD the module
// exports it.

declare namespace wx {
  /** The name of a JS-SDK interface (appendix 2, and onMenuShareQZone). */
  type JsApi =
    | "onMenuShareTimeline" | "onMenuShareAppMessage" | "onMenuShareQQ" | "onMenuShareWeibo" | "onMenuShareQZone"
    | "startRecord" | "stopRecord" | "onVoiceRecordEnd" | "playVoice" | "pauseVoice" | "stopVoice" | "onVoicePlayEnd"
    | "uploadVoice" | "downloadVoice" | "chooseImage" | "previewImage" | "uploadImage" | "downloadImage"
    | "translateVoice" | "getNetworkType" | "openLocation" | "getLocation" | "hideOptionMenu" | "showOptionMenu"
    | "hideMenuItems" | "showMenuItems" | "hideAllNonBaseMenuItem" | "showAllNonBaseMenuItem" | "closeWindow"
    | "scanQRCode" | "chooseWXPay" | "openProductSpecificView" | "addCard" | "chooseCard" | "openCard"
    // Added in 1.1.0 to 1.6.0.
    | "updateAppMessageShareData" | "updateTimelineShareData" | "getLocalImgData" | "openAddress"
    | "consumeAndShareCard" | "openEnterpriseRedPacket" | "startSearchBeacons" | "stopSearchBeacons"
    | "onSearchBeacons" | "openEnterpriseChat" | "chooseInvoice" | "launchMiniProgram" | "openBusinessView";

  /** An open tag (1.6.0 build; the app renders it). */
  type OpenTag = "wx-open-launch-weapp" | "wx-open-launch-app" | "wx-open-subscribe" | "wx-open-audio";

  /** A menu item of appendix 3. */
  type MenuItem =
    | "menuItem:exposeArticle" | "menuItem:setFont" | "menuItem:dayMode" | "menuItem:nightMode" | "menuItem:refresh"
    | "menuItem:profile" | "menuItem:addContact" | "menuItem:share:appMessage" | "menuItem:share:timeline"
    | "menuItem:share:qq" | "menuItem:share:weiboApp" | "menuItem:favorite" | "menuItem:share:facebook"
    | "menuItem:share:QZone" | "menuItem:jsDebug" | "menuItem:editTag" | "menuItem:delete" | "menuItem:copyUrl"
    | "menuItem:originPage" | "menuItem:readMode" | "menuItem:openWithQQBrowser" | "menuItem:openWithSafari"
    | "menuItem:share:email" | "menuItem:share:brand";

  /** Every result carries errMsg: "<api>:ok", "<api>:cancel", or the failure. */
  interface BaseResult {
    errMsg: string;
  }

  /** The callbacks every interface takes. */
  interface Callbacks<R extends BaseResult = BaseResult> {
    success?(res: R): void;
    fail?(res: BaseResult): void;
    cancel?(res: BaseResult): void;
    complete?(res: R | BaseResult): void;
  }

  interface ConfigOptions {
    /** Alert every result (inside WeChat); log calls with console.log (outside). */
    debug?: boolean;
    appId: string;
    /** Seconds since the epoch, the one that was signed. */
    timestamp: number | string;
    nonceStr: string;
    /** SHA-1 over jsapi_ticket, noncestr, timestamp and the page URL (appendix 1). */
    signature: string;
    jsApiList: JsApi[];
    /** false: skip verification and count as verified. */
    check?: boolean;
    /** The open tags the page uses (1.6.0 build). */
    openTagList?: OpenTag[];
  }

  /** getLocalImgData's result: a data URL (iOS), or base64 (some Android versions). */
  interface LocalImgDataResult extends BaseResult {
    localData: string;
  }

  /** openAddress's result, the fields as the library renames them. */
  interface AddressResult extends BaseResult {
    userName: string;
    postalCode: string;
    provinceName: string;
    cityName: string;
    countryName: string;
    detailInfo: string;
    nationalCode: string;
    telNumber: string;
  }

  /** A beacon onSearchBeacons reports. */
  interface Beacon {
    uuid: string;
    major: string | number;
    minor: string | number;
    accuracy?: string | number;
    rssi?: string | number;
    proximity?: string | number;
    heading?: string | number;
  }

  /** Results that carry the app's error code. */
  interface ErrCodeResult extends BaseResult {
    errCode?: number | string;
  }

  interface BusinessViewResult extends ErrCodeResult {
    /** Parsed from JSON on Android (bad JSON gives {}). */
    extraData?: Record<string, unknown>;
  }

  /** The mini program hosting a page in its <web-view> (1.6.0 build). */
  interface MiniProgram {
    navigateTo(options: Callbacks & { url: string }): void;
    redirectTo(options: Callbacks & { url: string }): void;
    switchTab(options: Callbacks & { url: string }): void;
    reLaunch(options: Callbacks & { url: string }): void;
    navigateBack(options?: Callbacks & { delta?: number }): void;
    /** Delivered to the mini program on back, share or destroy, not at once. */
    postMessage(options: Callbacks & { data: unknown }): void;
    getEnv(cb: (res: { miniprogram: boolean }) => void): void;
  }

  /** `detail` of an open tag's events. */
  interface OpenTagEventDetail {
    errMsg?: string;
    /** wx-open-subscribe: per template id, a JSON string with status accept/reject. */
    subscribeDetails?: string;
  }

  /** `WeixinOpenTagsError` on document: a tag could not render. */
  interface OpenTagsErrorEvent extends CustomEvent<{ errMsg: string }> {}

  interface ShareOptions extends Callbacks {
    title?: string;
    link?: string;
    imgUrl?: string;
    /** Called with the raw menu event when the person taps the menu item. */
    trigger?(argv: Record<string, unknown>): void;
  }

  interface ShareWithDescOptions extends ShareOptions {
    desc?: string;
  }

  interface AppMessageOptions extends ShareWithDescOptions {
    /** "music", "video" or "link" (the default). */
    type?: "music" | "video" | "link";
    /** The music or video data link. */
    dataUrl?: string;
  }

  interface LocalIdResult extends BaseResult {
    localId: string;
  }

  interface ServerIdResult extends BaseResult {
    serverId: string;
  }

  interface LocalIdOptions<R extends BaseResult = BaseResult> extends Callbacks<R> {
    localId: string;
  }

  interface TransferOptions<R extends BaseResult> extends Callbacks<R> {
    /** 1 (the default) shows progress; 0 hides it. */
    isShowProgressTips?: 0 | 1;
  }

  interface ChooseImageResult extends BaseResult {
    localIds: string[];
  }

  interface NetworkTypeResult extends BaseResult {
    networkType: "wifi" | "2g" | "3g" | "4g" | "edge" | "wwan";
  }

  interface LocationResult extends BaseResult {
    latitude: number;
    longitude: number;
    speed: number;
    accuracy: number;
  }

  interface ScanResult extends BaseResult {
    /** With needResult 1: the QR text, or "FORMAT,digits" for bar codes. */
    resultStr: string;
  }

  interface CheckJsApiResult extends BaseResult {
    checkResult: Partial<Record<JsApi, boolean>>;
  }

  interface AddCardResult extends BaseResult {
    cardList: { cardId: string; cardExt: string; isSuccess: boolean }[];
  }

  interface ChooseCardResult extends BaseResult {
    /** A JSON string of [{card_id, encrypt_code}]. */
    cardList: string;
  }

  interface TranslateResult extends BaseResult {
    translateResult: string;
  }
}

interface WxStatic {
  config(options: wx.ConfigOptions): void;
  /** Runs once config has completed (at once if it already has). */
  ready(fn: () => void): void;
  /** Runs when config fails (only the first registration counts in 1.0.0). */
  error(fn: (res: wx.BaseResult) => void): void;
  checkJsApi(options: wx.Callbacks<wx.CheckJsApiResult> & { jsApiList: wx.JsApi[] }): void;

  onMenuShareTimeline(options: wx.ShareOptions): void;
  onMenuShareAppMessage(options: wx.AppMessageOptions): void;
  onMenuShareQQ(options: wx.ShareWithDescOptions): void;
  onMenuShareWeibo(options: wx.ShareWithDescOptions): void;
  onMenuShareQZone(options: wx.ShareWithDescOptions): void;

  startRecord(options?: wx.Callbacks): void;
  stopRecord(options?: wx.Callbacks<wx.LocalIdResult>): void;
  /** Called when a recording reaches 60 s; complete/success get the localId. */
  onVoiceRecordEnd(options: wx.Callbacks<wx.LocalIdResult>): void;
  playVoice(options: wx.LocalIdOptions): void;
  pauseVoice(options: wx.LocalIdOptions): void;
  stopVoice(options: wx.LocalIdOptions): void;
  onVoicePlayEnd(options: wx.Callbacks<wx.LocalIdResult>): void;
  uploadVoice(options: wx.TransferOptions<wx.ServerIdResult> & { localId: string }): void;
  downloadVoice(options: wx.TransferOptions<wx.LocalIdResult> & { serverId: string }): void;

  chooseImage(options: wx.Callbacks<wx.ChooseImageResult> & {
    /** At most 9 (the default). */
    count?: number;
    sizeType?: ("original" | "compressed")[];
    sourceType?: ("album" | "camera")[];
  }): void;
  previewImage(options: wx.Callbacks & { current: string; urls: string[] }): void;
  uploadImage(options: wx.TransferOptions<wx.ServerIdResult> & { localId: string }): void;
  downloadImage(options: wx.TransferOptions<wx.LocalIdResult> & { serverId: string }): void;

  translateVoice(options: wx.TransferOptions<wx.TranslateResult> & { localId: string }): void;

  getNetworkType(options: wx.Callbacks<wx.NetworkTypeResult>): void;

  openLocation(options: wx.Callbacks & {
    latitude: number;
    longitude: number;
    name?: string;
    address?: string;
    /** 1 to 28 (the default). */
    scale?: number;
    infoUrl?: string;
  }): void;
  getLocation(options: wx.Callbacks<wx.LocationResult> & {
    /** "wgs84" (the default) or "gcj02". */
    type?: "wgs84" | "gcj02";
    /** Only for clients older than 6.0.2 (appendix 4). */
    timestamp?: number;
    nonceStr?: string;
    addrSign?: string;
  }): void;

  hideOptionMenu(options?: wx.Callbacks): void;
  showOptionMenu(options?: wx.Callbacks): void;
  closeWindow(options?: wx.Callbacks): void;
  hideMenuItems(options: wx.Callbacks & { menuList: wx.MenuItem[] }): void;
  showMenuItems(options: wx.Callbacks & { menuList: wx.MenuItem[] }): void;
  hideAllNonBaseMenuItem(options?: wx.Callbacks): void;
  showAllNonBaseMenuItem(options?: wx.Callbacks): void;

  scanQRCode(options: wx.Callbacks<wx.ScanResult> & {
    desc?: string;
    /** 0 (the default): WeChat handles the result; 1: it is returned. */
    needResult?: 0 | 1;
    scanType?: ("qrCode" | "barCode")[];
  }): void;

  openProductSpecificView(options: wx.Callbacks & {
    productId: string;
    /** 0 normal (the default), 1 scan, 2 shop. */
    viewType?: 0 | 1 | 2 | string;
    extInfo?: string;
  }): void;

  chooseCard(options: wx.Callbacks<wx.ChooseCardResult> & {
    shopId?: string;
    cardType?: string;
    cardId?: string;
    timestamp: number | string;
    nonceStr: string;
    signType?: string;
    /** Appendix 6. */
    cardSign: string;
  }): void;
  addCard(options: wx.Callbacks<wx.AddCardResult> & { cardList: { cardId: string; cardExt: string }[] }): void;
  openCard(options: wx.Callbacks & { cardList: { cardId: string; code: string }[] }): void;

  chooseWXPay(options: wx.Callbacks & {
    timestamp: number | string;
    nonceStr: string;
    /** Appendix 5: the signed package, or "prepay_id=…". */
    package: string;
    /** "SHA1" (the default), "MD5", "HMAC-SHA256" or "RSA". */
    signType?: string;
    paySign: string;
  }): void;
}

interface WxStatic {
  // ---- 1.6.0 build ----------------------------------------------------------------------------
  /** Raw bridge calls with the verification fields; exist after the first wx.config. */
  invoke?(name: string, params: Record<string, unknown>, cb: (res: Record<string, unknown>) => void): void;
  on?(event: string, cb: (res: Record<string, unknown>) => void): void;

  updateAppMessageShareData(options: wx.Callbacks & { title: string; desc: string; link: string; imgUrl: string }): void;
  updateTimelineShareData(options: wx.Callbacks & { title: string; link: string; imgUrl: string }): void;
  getLocalImgData(options: wx.Callbacks<wx.LocalImgDataResult> & { localId: string }): void;
  openAddress(options?: wx.Callbacks<wx.AddressResult>): void;
  consumeAndShareCard(options: wx.Callbacks & { cardId: string; code: string }): void;
  openEnterpriseRedPacket(options: wx.Callbacks & {
    timestamp: number | string;
    nonceStr: string;
    package: string;
    signType?: string;
    paySign: string;
  }): void;
  startSearchBeacons(options: wx.Callbacks & { ticket?: string }): void;
  stopSearchBeacons(options?: wx.Callbacks): void;
  onSearchBeacons(options: wx.Callbacks<wx.BaseResult & { beacons: wx.Beacon[] }>): void;
  openEnterpriseChat(options: wx.Callbacks<wx.ErrCodeResult> & { userIds: string; groupName?: string }): void;
  launchMiniProgram(options: wx.Callbacks & { appId: string; path?: string; envVersion?: "develop" | "trial" | "release" }): void;
  openBusinessView(options: wx.Callbacks<wx.BusinessViewResult> & {
    businessType: string;
    queryString?: string;
    envVersion?: "develop" | "trial" | "release";
  }): void;
  miniProgram: wx.MiniProgram;
}

interface DocumentEventMap {
  WeixinOpenTagsError: wx.OpenTagsErrorEvent;
}

declare const wx: WxStatic;
declare const jWeixin: WxStatic;

declare module "jweixin" {
  const jweixin: WxStatic;
  export = jweixin;
}
