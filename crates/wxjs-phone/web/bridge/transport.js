  // ==== transport: the web view's identity and its line to the phone origin =================
  var CONFIG = /*CONFIG*/ { platform: "android", userAgent: "MicroMessenger/6.7.3 Android" };
  if (window.WeixinJSBridge) return;
  // The nonce a page's Content-Security-Policy allows the bridge with (behind --proxy).
  var NONCE = (document.currentScript && document.currentScript.nonce) || "";
  // Inside a mini program's <web-view>, pages learn it before their own scripts run.
  if (CONFIG.environment === "miniprogram") window.__wxjs_environment = "miniprogram";
  // The published library's statistics beacon (an image of open.weixin.qq.com/sdk/report)
  // never leaves the machine: the phone origin answers it.
  try {
    var imgSrc = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
    Object.defineProperty(HTMLImageElement.prototype, "src", {
      configurable: true,
      enumerable: imgSrc.enumerable,
      get: function () {
        return imgSrc.get.call(this);
      },
      set: function (value) {
        var text = String(value);
        var m = /^(?:https?:)?\/\/open\.weixin\.qq\.com\/sdk\/report(\?.*)?$/.exec(text);
        imgSrc.set.call(this, m ? "/__wxjs/report" + (m[1] || "") : text);
      }
    });
  } catch (e) {
    /* a browser that refuses: the beacon fails offline, harmlessly */
  }
  // A link to WeChat's web authorisation lands on the simulator's consent page, which leads
  // back to the page's redirect_uri.
  document.addEventListener(
    "click",
    function (e) {
      var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
      if (!a || !CONFIG.platformUrl) return;
      var m = /^https?:\/\/open\.weixin\.qq\.com(\/connect\/oauth2\/[^#]*)/.exec(a.href);
      if (!m) return;
      e.preventDefault();
      window.location.href = CONFIG.platformUrl + m[1];
    },
    true
  );
  // … and so does a script's navigation there (location.href = …), where the browser has the
  // Navigation API.
  if (window.navigation && window.navigation.addEventListener) {
    window.navigation.addEventListener("navigate", function (e) {
      if (!CONFIG.platformUrl || !e.cancelable || !e.destination) return;
      var m = /^https?:\/\/open\.weixin\.qq\.com(\/connect\/oauth2\/[^#]*)/.exec(e.destination.url);
      if (!m) return;
      e.preventDefault();
      window.location.href = CONFIG.platformUrl + m[1];
    });
  }
  // Inside the device view (/__wxjs/device): framed by a page of this origin that shows a phone.
  // The page counts as top-level there, and sees the preset's screen.
  var device = (function () {
    try {
      if (window.parent === window || !window.parent.__wxjsDevice) return null;
      return window.parent.location.origin === window.location.origin ? window.parent.__wxjsDevice : null;
    } catch (e) {
      return null;
    }
  })();
  if (device && device.screen) {
    try {
      var scr = device.screen;
      ["width", "availWidth"].forEach(function (k) {
        Object.defineProperty(Screen.prototype, k, { configurable: true, get: function () { return scr.width; } });
      });
      ["height", "availHeight"].forEach(function (k) {
        Object.defineProperty(Screen.prototype, k, { configurable: true, get: function () { return scr.height; } });
      });
      Object.defineProperty(window, "devicePixelRatio", { configurable: true, get: function () { return scr.dpr; } });
    } catch (e) {
      /* a browser that refuses: the desktop's screen shows through */
    }
  }
  // The host mini program's page stack, as its last answer gave it.
  var mpStack = null;

  // ---- the web view --------------------------------------------------------------------------
  try {
    Object.defineProperty(Navigator.prototype, "userAgent", {
      get: function () {
        return CONFIG.userAgent;
      },
      configurable: true
    });
  } catch (e) {
    /* a browser that refuses: the page will see itself outside WeChat */
  }
  // The page's id, given by the phone origin when it served this script (GET /__wxjs/pages).
  var session = CONFIG.session || Math.random().toString(36).slice(2) + Date.now().toString(36);
  var landingUrl = window.location.href;
  var handlers = {};
  // Share content set by updateAppMessageShareData/updateTimelineShareData, per menu event, and
  // when each registration (theirs, or a page's WeixinJSBridge.on) happened: the later wins.
  var shareData = {};
  var handlerAt = {};
  var registrations = 0;
  var openPrompts = {}; // wx api → resolve(action)

  var reported = { url: null, title: null };
  function poll() {
    var open = Object.keys(openPrompts).join(",");
    var query = "session=" + encodeURIComponent(session) + "&open=" + encodeURIComponent(open);
    // Where the page is, when that changed (pushState, a new title).
    if (window.location.href !== reported.url) query += "&url=" + encodeURIComponent((reported.url = window.location.href));
    if (document.title !== reported.title) query += "&title=" + encodeURIComponent((reported.title = document.title));
    if (window.top !== window.self && !device) query += "&frame=1";
    if (restored) {
      query += "&restored=1";
      restored = false;
    }
    window
      .fetch("/__wxjs/events?" + query)
      .then(function (r) {
        return r.json();
      })
      .then(function (ev) {
        // Settings changed while the page is open apply to it at once.
        if (ev.settings) {
          CONFIG.recordLimitMs = ev.settings.recordLimitMs;
          CONFIG.microphone = ev.settings.microphone;
          CONFIG.permissions = ev.settings.permissions;
        }
        (ev.taps || []).forEach(function (event) {
          fireMenu(event, "automation");
        });
        (ev.answers || []).forEach(function (a) {
          var prompt = openPrompts[a.api];
          if (prompt) prompt(a.action, a);
        });
        renderBar();
      })
      .catch(function () {
        /* the phone origin went away */
      })
      .then(function () {
        setTimeout(poll, 100);
      });
  }

  // Going away: the phone origin stops counting this page as open. A page restored from the
  // back-forward cache says so on its next poll and is taken back in (a poll that was merely
  // late is not).
  var restored = false;
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) restored = true;
  });
  window.addEventListener("pagehide", function () {
    try {
      window.fetch("/__wxjs/pages/" + encodeURIComponent(session), {
        method: "DELETE",
        keepalive: true,
        headers: { "Content-Type": "application/json" }
      });
    } catch (e) {
      /* nothing to tell */
    }
  });
