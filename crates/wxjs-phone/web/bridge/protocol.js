  // ==== protocol: WeixinJSBridge, carrying out each call, WeixinJSBridgeReady ================
  function perform(name, params, answer, prompt, id) {
    switch (name) {
      case "startRecord":
        if (recording) return Promise.resolve({ err_msg: "startRecord:fail_recording" });
        return beginRecording().then(function () { return { err_msg: "startRecord:ok" }; });
      case "stopRecord":
        if (!recording) return Promise.resolve({ err_msg: "stopRecord:fail_not_recording" });
        return finishRecording().then(function (localId) { return { err_msg: "stopRecord:ok", localId: localId }; });
      case "playVoice": {
        var a = voice(params.localId);
        a.play().catch(function (e) {
          // Only a browser that refuses to play unasked (autoplay policy) gets a stand-in: the
          // voice "plays" for its length. A play() cut short by pause or stop (AbortError) is
          // no end at all; the stand-in is called off by pause and stop too.
          if (!e || e.name !== "NotAllowedError") return;
          var rest = ((a.duration || 1) - (a.currentTime || 0)) * 1000;
          a.__fakeEnd = setTimeout(function () {
            a.__fakeEnd = null;
            a.dispatchEvent(new Event("ended"));
          }, Math.max(rest, 0));
        });
        return Promise.resolve({ err_msg: "playVoice:ok" });
      }
      case "pauseVoice":
        haltVoice(voice(params.localId));
        return Promise.resolve({ err_msg: "pauseVoice:ok" });
      case "stopVoice": {
        var s = voice(params.localId);
        haltVoice(s);
        s.currentTime = 0;
        return Promise.resolve({ err_msg: "stopVoice:ok" });
      }
      case "translateVoice":
        return translateSheet(answer);
      case "geoLocation":
        // The location setting says "browser": ask the browser, let the client convert.
        return new Promise(function (resolve) {
          if (!navigator.geolocation) return resolve({ err_msg: "geo_location:fail_no_geolocation" });
          navigator.geolocation.getCurrentPosition(function (pos) {
            post("/__wxjs/geo", { id: id, latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy: pos.coords.accuracy || 0, speed: pos.coords.speed || 0 })
              .then(function (r) { resolve(r.result || { err_msg: "geo_location:fail" }); });
          }, function () { resolve({ err_msg: "geo_location:fail_permission_denied" }); });
        });
    }
    if (name === "scanQRCode") return scanSheet(id, params, answer);
    if (name === "getBrandWCPayRequest") return paySheet(prompt || {}, answer);
    if (name === "batchAddCard") return addCardSheet(prompt || {}, answer);
    if (name === "chooseCard") return chooseCardSheet(prompt || {}, answer);
    if (name === "editAddress") return addressSheet(prompt || {}, answer);
    if (name === "launchMiniProgram") {
      var mp = prompt || {};
      return askSheet("launchMiniProgram", "打开小程序", [mp.targetAppId, mp.path || "(首页)", mp.envVersion || "release"], "打开", answer)
        .then(function (action) { return { err_msg: "launchMiniProgram:" + action }; });
    }
    if (name === "openBusinessView") {
      var bv = prompt || {};
      return askSheet("openBusinessView", "打开业务页面", [bv.businessType, bv.queryString || ""], "打开", answer)
        .then(function (action, a) {
          if (action !== "ok") return { err_msg: "openBusinessView:" + action, err_code: 1 };
          var extra = (answer && answer.data && answer.data.extraData) || (lastAsked.data && lastAsked.data.extraData) || {};
          // Android hands extraData over as a JSON string (the library parses it).
          return { err_msg: "openBusinessView:ok", err_code: 0, extraData: CONFIG.platform === "android" ? JSON.stringify(extra) : extra };
        });
    }
    if (name === "chooseInvoice") {
      return askSheet("chooseInvoice", "选择发票", ["(automation: data.invoices)"], "确定", answer).then(function (action) {
        if (action !== "ok") return { err_msg: "chooseInvoice:" + action };
        var invoices = (answer && answer.data && answer.data.invoices) || (lastAsked.data && lastAsked.data.invoices) || [];
        return { err_msg: "chooseInvoice:ok", choose_invoice_info: JSON.stringify(invoices) };
      });
    }
    if (name === "batchViewCard") {
      openCardPanel(prompt || {});
      return Promise.resolve({ err_msg: "batch_view_card:ok" });
    }
    if (SHARE_APIS[name]) {
      return shareSheet(SHARE_APIS[name], params, answer).then(function (action) {
        return { err_msg: name + ":" + (action === "ok" ? "confirm" : action) };
      });
    }
    var ok = { err_msg: name + ":ok" };
    switch (name) {
      case "hideOptionMenu":
        menuState.optionHidden = true;
        break;
      case "showOptionMenu":
        menuState.optionHidden = false;
        break;
      case "hideMenuItems":
      case "showMenuItems":
        (params.menuList || []).forEach(function (id) {
          menuState.hidden[id] = name === "hideMenuItems";
        });
        break;
      case "hideAllNonBaseMenuItem":
        menuState.nonBaseHidden = true;
        break;
      case "showAllNonBaseMenuItem":
        menuState.nonBaseHidden = false;
        break;
      case "closeWindow":
        closeWindow();
        break;
      case "openProductViewWithPid":
        productPanel(params);
        break;
      case "chooseImage":
        return chooseImage(params, answer);
      case "imagePreview":
        previewPanel(params);
        break;
      case "openLocation":
        locationPanel(params);
        break;
      default:
        return Promise.resolve({ err_msg: name + ":fail_function_not_exist" });
    }
    renderBar();
    return Promise.resolve(ok);
  }

  // ---- first-use permissions -----------------------------------------------------------------
  var PERMISSIONS = {
    location: "申请获取你的地理位置 (location)",
    microphone: "申请使用你的麦克风 (microphone)"
  };

  /** The app asks the person before a verified call uses the location or the microphone for the
   * first time (`prompt.setting` auto: a person is asked, automation — navigator.webdriver — is
   * allowed at once; ask: always asked). 允许 and 拒绝 are remembered in the app's settings;
   * dismissing the sheet (a tap beside it, Esc) refuses this call only. */
  function permitted(name, prompt) {
    var kind = prompt.permission;
    if (prompt.setting === "auto" && navigator.webdriver) return Promise.resolve(true);
    var body = [el("div", { class: "t", text: (document.title || window.location.host) + " " + PERMISSIONS[kind] })];
    return promptSheet("permission:" + kind, { class: "sheet", "data-permission": kind }, body, "允许", function (action) {
      var allowed = action === "ok";
      if (action !== "dismiss") {
        var change = { permissions: {} };
        change.permissions[kind] = allowed ? "allow" : "deny";
        post("/__wxjs/settings", change);
      }
      return allowed;
    }, null, "拒绝", "dismiss");
  }

  // ---- the bridge --------------------------------------------------------------------------
  // Calls that ask the person in a sheet. While its sheet is open, the same call again (a
  // double click that slipped in before the sheet covered the page) is ignored, as the real
  // client ignores it: no second sheet, no second callback.
  var SHEETS = ["chooseImage", "getBrandWCPayRequest", "batchAddCard", "chooseCard",
    "scanQRCode", "translateVoice", "editAddress", "launchMiniProgram", "openBusinessView", "chooseInvoice",
    "shareTimeline", "sendAppMessage", "shareQQ", "shareWeiboApp", "shareQZone"];
  var sheetCalls = {}; // bridge name → a call of it is waiting for its sheet
  // The later interfaces that set what the next menu share sends, by the menu event.
  var UPDATE_SHARE = {
    updateAppMessageShareData: "menu:share:appmessage",
    updateTimelineShareData: "menu:share:timeline"
  };

  var bridge = {
    invoke: function (name, params, callback) {
      params = params || {};
      var asks = SHEETS.indexOf(name) !== -1;
      if (asks && sheetCalls[name]) {
        post("/__wxjs/note", { session: session, api: name, result: { ignored: "a sheet is already open (a repeated tap)" } });
        return;
      }
      if (asks) sheetCalls[name] = true;
      var callId = 0;
      // A share-content registration counts from when the page made it, not from the answer.
      var registeredAt = UPDATE_SHARE[name] ? ++registrations : 0;
      post("/__wxjs/invoke", { session: session, landingUrl: landingUrl, currentUrl: window.location.href, name: name, params: params })
        .then(function (ans) {
          if (ans.result) return { id: ans.id, result: ans.result, recorded: true };
          var p = ans.prompt && ans.prompt.permission ? permitted(name, ans.prompt) : null;
          var carried = p
            ? p.then(function (allowed) {
                if (!allowed) return { err_msg: name + ":fail auth deny" };
                // Allowed: the app's answer, or the call carried out as without a prompt.
                if (ans.prompt.then) return ans.prompt.then;
                return perform(name, params, ans.answer, ans.prompt.prompt, ans.id);
              })
            : perform(name, params, ans.answer, ans.prompt, ans.id);
          return carried.then(function (result) {
            return { id: ans.id, result: result, recorded: false };
          });
        })
        .then(function (r) {
          // Record first, then answer: the page's callback may look at the wallet or the order
          // at once, and the client's server half decides what was paid.
          callId = r.id;
          if (r.recorded) return r.result;
          return post("/__wxjs/result", { id: r.id, result: r.result }).then(function (ans) {
            if (ans && ans.result) return ans.result;
            // The client's server half did not take it (the call was forgotten): what was not
            // recorded did not happen — never report it as done.
            var m = String((r.result && r.result.err_msg) || name + ":ok");
            return { err_msg: m.replace(/:[^:]*$/, ":fail") };
          });
        })
        .then(function (result) {
          delete sheetCalls[name];
          var ok = /:ok$/.test(String(result && result.err_msg));
          if (name === "preVerifyJSAPI") openTagsConfigured(ok, params.verifyOpenTagList);
          // iBeacons: while searching, automation's beacons reach the page's onSearchBeacons.
          if (name === "startMonitoringBeacons" && ok) {
            openPrompts.onSearchBeacons = function (action, a) {
              var beacons = (a && a.data && a.data.beacons) || [];
              if (handlers.onBeaconsInRange) handlers.onBeaconsInRange({ err_msg: "onBeaconsInRange:ok", beacons: beacons });
            };
          }
          if (name === "stopMonitoringBeacons" && ok) delete openPrompts.onSearchBeacons;
          if (name === "invokeMiniProgramAPI" && result && result.stack) {
            mpStack = result.stack;
            delete result.stack;
            renderBar();
          }
          var updated = UPDATE_SHARE[name];
          if (updated && /:ok$/.test(String(result && result.err_msg))) {
            shareData[updated] = {
              api: name,
              content: { title: params.title, desc: params.desc || "", link: params.link, img_url: params.imgUrl || "", via: name },
              at: registeredAt
            };
          }
          calls.push({ name: name, result: result });
          announce(name, result);
          reportCall(callId, name, params, result);
          if (callback) {
            try {
              callback(result);
            } catch (e) {
              // The page's own error: thrown where the page would see it, never answered as a
              // second, failed result.
              setTimeout(function () {
                throw e;
              }, 0);
            }
          }
        })
        .catch(function (e) {
          delete sheetCalls[name];
          if (callback) callback({ err_msg: name + ":fail_client " + e });
        });
    },
    on: function (event, callback) {
      handlers[event] = callback;
      handlerAt[event] = ++registrations;
    },
    call: function (name) {
      bridge.invoke(name, {}, null);
    },
    log: function (message) {
      if (window.console) window.console.log("[WeixinJSBridge]", message);
    }
  };
  window.WeixinJSBridge = bridge;
  window.__wxjsClient = { session: session, landingUrl: landingUrl, calls: calls, menu: menuState, platform: CONFIG.platform };

  // Taps and automated answers, from the phone origin.
  function ready() {
    mount();
    var ev = document.createEvent("Event");
    ev.initEvent("WeixinJSBridgeReady", true, true);
    document.dispatchEvent(ev);
    poll();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    setTimeout(ready, 0);
  }
