/* wxjs — the `wx` library of the WeChat JS-SDK, speaking the WeixinJSBridge protocol. One source
 * for two builds: served as jweixin-1.0.0.js and jweixin-1.6.0.js, each wrapped in a function
 * that passes REVISION ("1.0.0" or "1.6.0"; this file alone acts as 1.0.0). Plain JavaScript, no
 * build step. Global `wx`/`jWeixin`, or an AMD/CMD module.
 * Follows bridge-protocol.md (verification fields on every invoke, err_msg → errMsg, parameter
 * mapping and result transforms, ready/error) and, in the 1.6.0 build, bridge-protocol-later.md
 * (openTagList, wx.invoke/wx.on, error keeping the last registration, the later interfaces,
 * wx.miniProgram, iOS local-resource images). */
(function (root, factory) {
  "use strict";
  if (typeof define === "function" && (define.amd || define.cmd)) {
    // Under a module loader: the module is the object, and no global is set.
    define(function () {
      return factory(root);
    });
  } else if (!root.jWeixin) {
    // A second copy on the same page does not replace the first.
    root.wx = root.jWeixin = factory(root);
  }
})(typeof window !== "undefined" ? window : this, function (window) {
  "use strict";
  var document = window.document;
  /* global REVISION */
  var revision = typeof REVISION === "string" ? REVISION : "1.0.0";
  // What 1.1.0 to 1.6.0 added.
  var later = revision !== "1.0.0";

  // ---- the client, from the user agent ------------------------------------------------------
  var ua = (window.navigator && window.navigator.userAgent || "").toLowerCase();
  var isWeixin = ua.indexOf("micromessenger") !== -1;
  var isAndroid = ua.indexOf("android") !== -1;
  var isIOS = ua.indexOf("iphone") !== -1 || ua.indexOf("ipad") !== -1;
  var isDebugger = ua.indexOf("wxdebugger") !== -1;
  var versionMatch = ua.match(/micromessenger\/(\d+\.\d+\.\d+)/) || ua.match(/micromessenger\/(\d+\.\d+)/);
  var clientVersion = versionMatch ? versionMatch[1] : "";

  // ---- names: wx interface → bridge call, and back ------------------------------------------
  var toBridge = {
    config: "preVerifyJSAPI",
    onMenuShareTimeline: "menu:share:timeline",
    onMenuShareAppMessage: "menu:share:appmessage",
    onMenuShareQQ: "menu:share:qq",
    onMenuShareWeibo: "menu:share:weiboApp",
    onMenuShareQZone: "menu:share:QZone",
    previewImage: "imagePreview",
    getLocation: "geoLocation",
    openProductSpecificView: "openProductViewWithPid",
    addCard: "batchAddCard",
    openCard: "batchViewCard",
    chooseWXPay: "getBrandWCPayRequest"
  };
  if (later) {
    toBridge.openAddress = "editAddress";
    toBridge.consumeAndShareCard = "consumedShareCard";
    toBridge.openEnterpriseRedPacket = "getRecevieBizHongBaoRequest";
    toBridge.startSearchBeacons = "startMonitoringBeacons";
    toBridge.stopSearchBeacons = "stopMonitoringBeacons";
    toBridge.onSearchBeacons = "onBeaconsInRange";
  }
  var toWx = {};
  for (var k in toBridge) {
    if (Object.prototype.hasOwnProperty.call(toBridge, k)) toWx[toBridge[k]] = k;
  }

  function bridgeName(name) {
    return toBridge[name] || name;
  }

  function wxName(name) {
    return toWx[name] || name;
  }

  /** Maps a list of wx names to bridge names, rewriting the caller's array in place. */
  function mapList(list) {
    if (!list) return list;
    for (var i = 0; i < list.length; i++) list[i] = bridgeName(list[i]);
    return list;
  }

  // ---- state ---------------------------------------------------------------------------------
  var settings = {};
  var configState = 0; // 0: not configured, 1: verifying, 2: completed
  var configResult = null; // the completed config's result
  var configFailed = false;
  var readyQueue = [];
  var errorHandler = null;
  var bridgeWaiters = [];

  function debugLog(name, data) {
    if (settings.debug && window.console && window.console.log) {
      window.console.log('"' + name + '",', data || "");
    }
  }

  function whenBridge(fn) {
    if (window.WeixinJSBridge) {
      fn();
      return;
    }
    bridgeWaiters.push(fn);
    if (bridgeWaiters.length === 1 && document && document.addEventListener) {
      document.addEventListener(
        "WeixinJSBridgeReady",
        function onReady() {
          document.removeEventListener("WeixinJSBridgeReady", onReady, false);
          var waiters = bridgeWaiters;
          bridgeWaiters = [];
          for (var i = 0; i < waiters.length; i++) waiters[i]();
        },
        false
      );
    }
  }

  /** The call's own parameters plus the verification fields of the last wx.config. */
  function withVerification(params) {
    params = params || {};
    params.appId = settings.appId;
    params.verifyAppId = settings.appId;
    params.verifySignType = "sha1";
    params.verifyTimestamp = settings.timestamp === undefined ? undefined : settings.timestamp + "";
    params.verifyNonceStr = settings.nonceStr;
    params.verifySignature = settings.signature;
    return params;
  }

  /** err_msg "<anything>:<suffix>" → "<wx name>:<suffix'>". */
  function normalizeErrMsg(name, errMsg) {
    var wx = wxName(name);
    var suffix;
    if (errMsg === undefined || errMsg === null) {
      suffix = "ok";
    } else {
      var text = String(errMsg);
      suffix = text.substring(text.indexOf(":") + 1);
      if (suffix === "confirm") suffix = "ok";
      if (suffix === "failed") suffix = "fail";
      if (suffix.indexOf("failed_") === 0) suffix = suffix.substring(7);
      else if (suffix.indexOf("fail_") === 0) suffix = suffix.substring(5);
      suffix = suffix.replace(/_/g, " ").toLowerCase();
      if (suffix === "access denied" || suffix === "no permission to execute") suffix = "permission denied";
      if (wx === "config" && suffix === "function not exist") suffix = "ok";
      if (suffix === "") suffix = "fail";
    }
    return wx + ":" + suffix;
  }

  /** Normalizes a bridge answer, transforms it, and calls success/cancel/fail, then complete. */
  function dispatch(name, res, handlers, transform) {
    res = res || {};
    // Later interfaces hand the client's err_code on as errCode.
    if (later && res.err_code !== undefined && (name === "openEnterpriseChat" || name === "openBusinessView")) {
      res.errCode = res.err_code;
    }
    delete res.err_code;
    delete res.err_desc;
    delete res.err_detail;
    var raw = res.err_msg;
    if (res.errMsg === undefined) {
      res.errMsg = normalizeErrMsg(name, raw);
      delete res.err_msg;
    }
    if (transform) transform(res, raw);
    if (settings.debug && isWeixin && typeof window.alert === "function") {
      window.alert(JSON.stringify(res));
    }
    handlers = handlers || {};
    var colon = res.errMsg.indexOf(":");
    var outcome = res.errMsg.substring(colon + 1);
    if (outcome === "ok") {
      if (handlers.success) handlers.success(res);
    } else if (outcome === "cancel") {
      if (handlers.cancel) handlers.cancel(res);
    } else if (handlers.fail) {
      handlers.fail(res);
    }
    if (handlers.complete) handlers.complete(res);
  }

  function invoke(name, params, handlers, transform) {
    if (!isWeixin) {
      debugLog(name, params);
      return;
    }
    whenBridge(function () {
      window.WeixinJSBridge.invoke(name, withVerification(params), function (res) {
        dispatch(name, res, handlers, transform);
      });
    });
  }

  function listen(eventName, onEvent) {
    if (!isWeixin) {
      debugLog(eventName, null);
      return;
    }
    whenBridge(function () {
      window.WeixinJSBridge.on(eventName, onEvent);
    });
  }

  /** Registers a menu share: the user's trigger(argv), then the share invoke. */
  function menuShare(eventName, invokeName, options, params) {
    options = options || {};
    listen(eventName, function (argv) {
      if (options.trigger) options.trigger(argv);
      var handlers = options;
      if (eventName === "menu:share:appmessage" && argv && argv.scene === "favorite") {
        handlers = {};
      }
      invoke(invokeName, params(), handlers);
    });
  }

  function parseIfString(value) {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch (e) {
      return value;
    }
  }

  function runReady() {
    var queue = readyQueue;
    readyQueue = [];
    for (var i = 0; i < queue.length; i++) queue[i]();
  }

  // ---- the interface -------------------------------------------------------------------------
  var wx = {
    config: function (cfg) {
      settings = cfg || {};
      debugLog("config", settings);
      if (!isWeixin) return;
      if (later) addRawCalls();
      var firstTime = configState === 0;
      if (settings.check === false) {
        configState = 2;
        configFailed = false;
        configResult = { errMsg: "config:ok" };
        runReady();
        return;
      }
      configState = firstTime ? 1 : configState;
      whenBridge(function () {
        var list = mapList(settings.jsApiList || []);
        var verify = { verifyJsApiList: list };
        if (later) verify.verifyOpenTagList = settings.openTagList || [];
        window.WeixinJSBridge.invoke("preVerifyJSAPI", withVerification(verify), function (res) {
          dispatch("preVerifyJSAPI", res, {
            success: function (r) {
              configFailed = false;
              configResult = r;
            },
            fail: function (r) {
              configFailed = true;
              configResult = r;
              if (errorHandler) errorHandler(r);
            },
            complete: function () {
              configState = 2;
              runReady();
            }
          });
        });
      });
    },

    ready: function (fn) {
      if (configState === 2 || (settings.debug && !isWeixin)) {
        fn();
      } else {
        readyQueue.push(fn);
      }
    },

    error: function (fn) {
      if (!clientVersion || clientVersion < "6.0.2") return;
      // 1.0.0: only the first registration counts; later revisions keep the last.
      if (errorHandler && !later) return;
      errorHandler = fn;
      if (configState === 2 && configFailed) fn(configResult);
    },

    checkJsApi: function (o) {
      o = o || {};
      invoke("checkJsApi", { jsApiList: mapList(o.jsApiList) }, o, function (res) {
        var result = parseIfString(res.checkResult);
        if (result && typeof result === "object") {
          var mapped = {};
          for (var key in result) {
            if (Object.prototype.hasOwnProperty.call(result, key)) mapped[wxName(key)] = result[key];
          }
          res.checkResult = mapped;
        }
      });
    },

    onMenuShareTimeline: function (o) {
      menuShare("menu:share:timeline", "shareTimeline", o, function () {
        o = o || {};
        var title = o.title || document.title;
        return { title: title, desc: title, img_url: o.imgUrl || "", link: o.link || window.location.href, type: o.type || "link", data_url: o.dataUrl || "" };
      });
    },

    onMenuShareAppMessage: function (o) {
      menuShare("menu:share:appmessage", "sendAppMessage", o, function () {
        o = o || {};
        return { title: o.title || document.title, desc: o.desc || "", link: o.link || window.location.href, img_url: o.imgUrl || "", type: o.type || "link", data_url: o.dataUrl || "" };
      });
    },

    onMenuShareQQ: function (o) {
      menuShare("menu:share:qq", "shareQQ", o, function () {
        o = o || {};
        return { title: o.title, desc: o.desc, img_url: o.imgUrl, link: o.link };
      });
    },

    onMenuShareWeibo: function (o) {
      menuShare("menu:share:weiboApp", "shareWeiboApp", o, function () {
        o = o || {};
        return { title: o.title, desc: o.desc, img_url: o.imgUrl, link: o.link };
      });
    },

    onMenuShareQZone: function (o) {
      menuShare("menu:share:QZone", "shareQZone", o, function () {
        o = o || {};
        return { title: o.title, desc: o.desc, img_url: o.imgUrl, link: o.link };
      });
    },

    startRecord: function (o) {
      invoke("startRecord", {}, o);
    },

    stopRecord: function (o) {
      invoke("stopRecord", {}, o);
    },

    onVoiceRecordEnd: function (o) {
      listen("onVoiceRecordEnd", function (res) {
        dispatch("onVoiceRecordEnd", res, o);
      });
    },

    playVoice: function (o) {
      invoke("playVoice", { localId: (o || {}).localId }, o);
    },

    pauseVoice: function (o) {
      invoke("pauseVoice", { localId: (o || {}).localId }, o);
    },

    stopVoice: function (o) {
      invoke("stopVoice", { localId: (o || {}).localId }, o);
    },

    onVoicePlayEnd: function (o) {
      listen("onVoicePlayEnd", function (res) {
        dispatch("onVoicePlayEnd", res, o);
      });
    },

    uploadVoice: function (o) {
      o = o || {};
      invoke("uploadVoice", { localId: o.localId, isShowProgressTips: o.isShowProgressTips === 0 ? 0 : 1 }, o);
    },

    downloadVoice: function (o) {
      o = o || {};
      invoke("downloadVoice", { serverId: o.serverId, isShowProgressTips: o.isShowProgressTips === 0 ? 0 : 1 }, o);
    },

    chooseImage: function (o) {
      o = o || {};
      invoke(
        "chooseImage",
        { scene: "1|2", count: o.count || 9, sizeType: o.sizeType || ["original", "compressed"], sourceType: o.sourceType || ["album", "camera"] },
        o,
        function (res) {
          res.localIds = parseIfString(res.localIds);
        }
      );
    },

    previewImage: function (o) {
      o = o || {};
      invoke("imagePreview", { current: o.current, urls: o.urls }, o);
    },

    uploadImage: function (o) {
      o = o || {};
      invoke("uploadImage", { localId: o.localId, isShowProgressTips: o.isShowProgressTips === 0 ? 0 : 1 }, o);
    },

    downloadImage: function (o) {
      o = o || {};
      invoke("downloadImage", { serverId: o.serverId, isShowProgressTips: o.isShowProgressTips === 0 ? 0 : 1 }, o);
    },

    translateVoice: function (o) {
      o = o || {};
      invoke("translateVoice", { localId: o.localId, isShowProgressTips: o.isShowProgressTips === 0 ? 0 : 1 }, o);
    },

    getNetworkType: function (o) {
      invoke("getNetworkType", {}, o, function (res, raw) {
        var rawSuffix = typeof raw === "string" ? raw.substring(raw.indexOf(":") + 1) : "";
        if (res.subtype) {
          res.networkType = res.subtype;
          delete res.subtype;
          res.errMsg = "getNetworkType:ok";
        } else if (rawSuffix === "wifi" || rawSuffix === "edge" || rawSuffix === "wwan") {
          res.networkType = rawSuffix;
          res.errMsg = "getNetworkType:ok";
        } else {
          res.errMsg = "getNetworkType:fail";
        }
      });
    },

    openLocation: function (o) {
      o = o || {};
      invoke("openLocation", { latitude: o.latitude, longitude: o.longitude, name: o.name || "", address: o.address || "", scale: o.scale || 28, infoUrl: o.infoUrl || "" }, o);
    },

    getLocation: function (o) {
      o = o || {};
      invoke("geoLocation", { type: o.type || "wgs84" }, o, function (res) {
        delete res.type;
      });
    },

    hideOptionMenu: function (o) {
      invoke("hideOptionMenu", {}, o);
    },

    showOptionMenu: function (o) {
      invoke("showOptionMenu", {}, o);
    },

    closeWindow: function (o) {
      invoke("closeWindow", {}, o || {});
    },

    hideMenuItems: function (o) {
      invoke("hideMenuItems", { menuList: (o || {}).menuList }, o);
    },

    showMenuItems: function (o) {
      invoke("showMenuItems", { menuList: (o || {}).menuList }, o);
    },

    hideAllNonBaseMenuItem: function (o) {
      invoke("hideAllNonBaseMenuItem", {}, o);
    },

    showAllNonBaseMenuItem: function (o) {
      invoke("showAllNonBaseMenuItem", {}, o);
    },

    scanQRCode: function (o) {
      o = o || {};
      invoke("scanQRCode", { needResult: o.needResult || 0, scanType: o.scanType || ["qrCode", "barCode"] }, o, function (res) {
        if (isIOS && typeof res.resultStr === "string") {
          var parsed = parseIfString(res.resultStr);
          if (parsed && parsed.scan_code) res.resultStr = parsed.scan_code.scan_result;
        }
      });
    },

    openProductSpecificView: function (o) {
      o = o || {};
      invoke("openProductViewWithPid", { pid: o.productId, view_type: o.viewType || 0, ext_info: o.extInfo }, o);
    },

    addCard: function (o) {
      o = o || {};
      var list = [];
      var cards = o.cardList || [];
      for (var i = 0; i < cards.length; i++) list.push({ card_id: cards[i].cardId, card_ext: cards[i].cardExt });
      invoke("batchAddCard", { card_list: list }, o, function (res) {
        var raw = parseIfString(res.card_list);
        delete res.card_list;
        if (raw && raw.length !== undefined) {
          var out = [];
          for (var j = 0; j < raw.length; j++) out.push({ cardId: raw[j].card_id, cardExt: raw[j].card_ext, isSuccess: !!raw[j].is_succ });
          res.cardList = out;
        }
      });
    },

    chooseCard: function (o) {
      o = o || {};
      invoke(
        "chooseCard",
        {
          app_id: settings.appId,
          location_id: o.shopId || "",
          sign_type: o.signType || "SHA1",
          card_id: o.cardId || "",
          card_type: o.cardType || "",
          card_sign: o.cardSign,
          time_stamp: o.timestamp === undefined ? undefined : o.timestamp + "",
          nonce_str: o.nonceStr
        },
        o,
        function (res) {
          res.cardList = res.choose_card_info;
          delete res.choose_card_info;
        }
      );
    },

    openCard: function (o) {
      o = o || {};
      var list = [];
      var cards = o.cardList || [];
      for (var i = 0; i < cards.length; i++) list.push({ card_id: cards[i].cardId, code: cards[i].code });
      invoke("batchViewCard", { card_list: list }, o);
    },

    chooseWXPay: function (o) {
      o = o || {};
      invoke(
        "getBrandWCPayRequest",
        { timeStamp: o.timestamp === undefined ? undefined : o.timestamp + "", nonceStr: o.nonceStr, package: o["package"], paySign: o.paySign, signType: o.signType || "SHA1" },
        o
      );
    }
  };

  // ---- what 1.1.0 to 1.6.0 added ------------------------------------------------------------
  /** wx.invoke and wx.on: raw bridge calls with the verification fields, after a first config. */
  function addRawCalls() {
    if (wx.invoke) return;
    wx.invoke = function (name, params, cb) {
      if (!window.WeixinJSBridge) return;
      window.WeixinJSBridge.invoke(name, withVerification(params), cb);
    };
    wx.on = function (name, cb) {
      if (window.WeixinJSBridge) window.WeixinJSBridge.on(name, cb);
    };
  }

  // getLocalImgData: one call at a time, the rest queued.
  var localImgQueue = [];
  var localImgBusy = false;
  function nextLocalImg() {
    if (localImgBusy || localImgQueue.length === 0) return;
    localImgBusy = true;
    var o = localImgQueue.shift();
    var done = o.complete;
    var handlers = {
      success: o.success,
      fail: o.fail,
      cancel: o.cancel,
      complete: function (res) {
        localImgBusy = false;
        if (done) done(res);
        nextLocalImg();
      }
    };
    invoke("getLocalImgData", { localId: o.localId }, handlers);
  }

  var laterApis = {
    updateAppMessageShareData: function (o) {
      o = o || {};
      invoke("updateAppMessageShareData", { title: o.title, desc: o.desc, link: o.link, imgUrl: o.imgUrl }, o);
    },

    updateTimelineShareData: function (o) {
      o = o || {};
      invoke("updateTimelineShareData", { title: o.title, link: o.link, imgUrl: o.imgUrl }, o);
    },

    getLocalImgData: function (o) {
      localImgQueue.push(o || {});
      nextLocalImg();
    },

    openAddress: function (o) {
      invoke("editAddress", {}, o || {}, function (res) {
        var renames = {
          addressPostalCode: "postalCode",
          proviceFirstStageName: "provinceName",
          addressCitySecondStageName: "cityName",
          addressCountiesThirdStageName: "countryName",
          addressDetailInfo: "detailInfo"
        };
        for (var from in renames) {
          if (Object.prototype.hasOwnProperty.call(renames, from) && res[from] !== undefined) {
            res[renames[from]] = res[from];
            delete res[from];
          }
        }
      });
    },

    consumeAndShareCard: function (o) {
      o = o || {};
      invoke("consumedShareCard", { consumedCardId: o.cardId, consumedCode: o.code }, o);
    },

    openEnterpriseRedPacket: function (o) {
      o = o || {};
      invoke(
        "getRecevieBizHongBaoRequest",
        { timeStamp: o.timestamp === undefined ? undefined : o.timestamp + "", nonceStr: o.nonceStr, package: o["package"], paySign: o.paySign, signType: o.signType || "SHA1" },
        o
      );
    },

    startSearchBeacons: function (o) {
      o = o || {};
      invoke("startMonitoringBeacons", { ticket: o.ticket }, o);
    },

    stopSearchBeacons: function (o) {
      invoke("stopMonitoringBeacons", {}, o || {});
    },

    onSearchBeacons: function (o) {
      listen("onBeaconsInRange", function (res) {
        dispatch("onBeaconsInRange", res, o || {});
      });
    },

    openEnterpriseChat: function (o) {
      o = o || {};
      invoke("openEnterpriseChat", { useridlist: o.userIds, chatname: o.groupName }, o);
    },

    launchMiniProgram: function (o) {
      o = o || {};
      var path = o.path;
      if (typeof path === "string" && path.length) {
        var q = path.indexOf("?");
        path = q === -1 ? path + ".html" : path.substring(0, q) + ".html" + path.substring(q);
      }
      invoke("launchMiniProgram", { targetAppId: o.appId, path: path, envVersion: o.envVersion }, o);
    },

    openBusinessView: function (o) {
      o = o || {};
      invoke(
        "openBusinessView",
        { businessType: o.businessType, queryString: o.queryString || "", envVersion: o.envVersion },
        o,
        function (res) {
          if (isAndroid && typeof res.extraData === "string") {
            try {
              res.extraData = res.extraData ? JSON.parse(res.extraData) : {};
            } catch (e) {
              res.extraData = {};
            }
          }
        }
      );
    },

    miniProgram: {
      navigateBack: function (o) {
        o = o || {};
        miniProgramCall("navigateBack", { delta: o.delta || 1 }, o);
      },
      navigateTo: function (o) {
        miniProgramCall("navigateTo", { url: (o || {}).url }, o);
      },
      redirectTo: function (o) {
        miniProgramCall("redirectTo", { url: (o || {}).url }, o);
      },
      switchTab: function (o) {
        miniProgramCall("switchTab", { url: (o || {}).url }, o);
      },
      reLaunch: function (o) {
        miniProgramCall("reLaunch", { url: (o || {}).url }, o);
      },
      postMessage: function (o) {
        miniProgramCall("postMessage", (o || {}).data, o);
      },
      getEnv: function (cb) {
        whenBridge(function () {
          cb({ miniprogram: window.__wxjs_environment === "miniprogram" });
        });
      }
    }
  };

  /** wx.miniProgram.*: waits for the bridge, not for wx.config. */
  function miniProgramCall(name, arg, o) {
    o = o || {};
    if (!isWeixin) return;
    whenBridge(function () {
      window.WeixinJSBridge.invoke("invokeMiniProgramAPI", withVerification({ name: name, arg: arg }), function (res) {
        dispatch("invokeMiniProgramAPI", res, o);
      });
    });
  }

  if (later) {
    for (var api in laterApis) {
      if (Object.prototype.hasOwnProperty.call(laterApis, api)) wx[api] = laterApis[api];
    }
    // iOS cannot load local ids as src: an element whose wxlocalresource:// source fails is
    // re-pointed at the data URL getLocalImgData gives.
    if (isIOS && document && document.addEventListener) {
      document.addEventListener(
        "error",
        function (e) {
          var el = e.target;
          var tag = el && el.tagName ? el.tagName.toLowerCase() : "";
          if (tag !== "img" && tag !== "video" && tag !== "audio" && tag !== "source") return;
          var src = el.src || "";
          if (src.indexOf("wxlocalresource://") === -1 || el.__wxjsRewritten) return;
          el.__wxjsRewritten = true;
          wx.getLocalImgData({
            localId: src,
            success: function (res) {
              if (res.localData) el.src = res.localData;
            }
          });
        },
        true
      );
    }
  }

  // For tools and tests: what this copy detected.
  wx.__client = { isWeixin: isWeixin, isAndroid: isAndroid, isIOS: isIOS, isDebugger: isDebugger, version: clientVersion, revision: revision };
  return wx;
});
