  // ==== open tags: the custom elements the app renders (1.6.0 pages, WeChat ≥ 7.0.12) ========
  var OPEN_TAGS = ["wx-open-launch-weapp", "wx-open-launch-app", "wx-open-subscribe", "wx-open-audio"];
  // What the page's wx.config settled: verified or not, and the tags it named.
  var openTagConfig = { done: false, ok: false, listed: [] };
  var openTagElements = [];

  function versionAtLeast(v, min) {
    var a = String(v).split("."), b = min.split(".");
    for (var i = 0; i < 3; i++) {
      var x = parseInt(a[i] || "0", 10), y = parseInt(b[i] || "0", 10);
      if (x !== y) return x > y;
    }
    return true;
  }

  /** The page's template: a <script type="text/wxtag-template"> child, or a <template>. */
  function tagTemplate(tag) {
    var t = tag.querySelector('script[type="text/wxtag-template"]') || tag.querySelector("template");
    if (!t) return "";
    return t.tagName.toLowerCase() === "template" ? t.innerHTML : t.textContent;
  }

  function tagAttributes(tag) {
    var out = {};
    for (var i = 0; i < tag.attributes.length; i++) out[tag.attributes[i].name] = tag.attributes[i].value;
    return out;
  }

  function tagEvent(tag, type, detail) {
    tag.dispatchEvent(new CustomEvent(type, { detail: detail || {} }));
  }

  /** Renders the page's template in an isolated frame, once the config allows the tag. */
  function renderTag(tag) {
    var name = tag.tagName.toLowerCase();
    if (tag.__wxjsRendered || !openTagConfig.done) return;
    var allowed = openTagConfig.ok && openTagConfig.listed.indexOf(name) !== -1;
    if (tag.__wxjsFrame) {
      // Rendered by an earlier config: kept while allowed, taken down when not.
      if (allowed) {
        tag.__wxjsRendered = true;
        return;
      }
      tag.__wxjsFrame.remove();
      tag.__wxjsFrame = null;
    }
    if (!allowed) {
      // The tag stays empty; the page hears why.
      var why = !openTagConfig.ok ? "config failed, so open tags do not render" : "openTagList of wx.config does not name " + name;
      document.dispatchEvent(new CustomEvent("WeixinOpenTagsError", { detail: { errMsg: why } }));
      tag.__wxjsRendered = true;
      return;
    }
    tag.__wxjsRendered = true;
    var shadow = tag.shadowRoot || tag.attachShadow({ mode: "open" });
    var frame = document.createElement("iframe");
    frame.setAttribute("data-wxjs-open-tag", name);
    frame.setAttribute("title", name);
    // The page's template is markup, not a script of the page: it runs none.
    frame.setAttribute("sandbox", "allow-same-origin");
    tag.__wxjsFrame = frame;
    frame.style.cssText = "border:0;display:block;background:transparent;color-scheme:normal";
    frame.srcdoc = "<!doctype html><html><head><meta charset=\"utf-8\"><style>html,body{margin:0;padding:0;background:transparent}</style></head><body>" + tagTemplate(tag) + "</body></html>";
    frame.addEventListener("load", function () {
      var d = frame.contentDocument;
      if (!d) return;
      var body = d.body;
      frame.style.width = Math.max(body.scrollWidth, 1) + "px";
      frame.style.height = Math.max(body.scrollHeight, 1) + "px";
      d.addEventListener("click", function (e) {
        // Only a person's (or a test's real) tap: a page cannot click its way to a launch.
        if (e.isTrusted) launchTag(tag, name);
      });
      tagEvent(tag, "ready", {});
    });
    shadow.appendChild(frame);
    // A tap on the tag's own box (around the frame) counts too; taps inside the frame are the
    // frame document's.
    if (!tag.__wxjsClicks) {
      tag.__wxjsClicks = true;
      tag.addEventListener("click", function (e) {
        if (e.isTrusted && e.target === tag) launchTag(tag, tag.tagName.toLowerCase());
      });
    }
  }

  /** A tap on a rendered tag: the launch prompt, decided by the person or automation. */
  function launchTag(tag, name) {
    var a = tagAttributes(tag);
    var note = function (result) {
      post("/__wxjs/note", { session: session, api: name, params: a, result: result });
    };
    if (name === "wx-open-audio") {
      var audio = tag.__wxjsAudio || (tag.__wxjsAudio = new Audio(a.src || ""));
      if (audio.paused) {
        audio.play().catch(function () { /* the browser refused; the note says it was asked */ });
        tagEvent(tag, "playing", {});
        note({ play: a.src || "" });
      } else {
        audio.pause();
        tagEvent(tag, "pause", {});
        note({ pause: a.src || "" });
      }
      return;
    }
    // One prompt at a time, as the real app: a second tap while one is open is ignored.
    if (openPrompts[name] || tag.__wxjsLaunching) {
      post("/__wxjs/note", { session: session, api: name, params: a, result: { ignored: "a prompt is already open (a repeated tap)" } });
      return;
    }
    tag.__wxjsLaunching = true;
    var settle = function () {
      tag.__wxjsLaunching = false;
    };
    var title = name === "wx-open-launch-weapp" ? "打开小程序" : name === "wx-open-launch-app" ? "打开App" : "订阅消息";
    var lines = name === "wx-open-launch-weapp" ? [a.username || "", a.path || "(首页)", a["env-version"] || "release"]
      : name === "wx-open-launch-app" ? [a.appid || "", a.extinfo || ""]
      : (a.template || "").split(",");
    // The app's server half decides whether the tag may open this target at all (a verified
    // config that names the tag; an app linked to the account), then the person or automation.
    post("/__wxjs/invoke", { session: session, landingUrl: landingUrl, currentUrl: window.location.href, name: "openTagLaunch", params: { tag: name, attrs: a } })
      .then(function (ans) {
        if (ans.result) {
          tagEvent(tag, "error", { errMsg: ans.result.err_msg });
          return null;
        }
        return askSheet(name, title, lines, name === "wx-open-subscribe" ? "允许" : "打开", ans.answer).then(function (action) {
          var data = (ans.answer && ans.answer.data) || lastAsked.data || {};
          var detail = {};
          var result;
          if (action === "ok") {
            if (name === "wx-open-subscribe") {
              var details = {};
              (a.template || "").split(",").filter(Boolean).forEach(function (id) {
                details[id.trim()] = JSON.stringify({ status: data.status || "accept" });
              });
              detail.subscribeDetails = JSON.stringify(details);
            }
            result = { err_msg: "launch:ok", detail: detail };
          } else if (action === "fail") {
            result = { err_msg: data.errMsg || "launch:fail" };
          } else {
            result = { err_msg: "launch:cancel" };
          }
          // Recorded first, then the page hears it.
          return post("/__wxjs/result", { id: ans.id, result: result }).then(function () {
            if (action === "ok") tagEvent(tag, "launch", detail);
            else if (action === "fail") tagEvent(tag, "error", { errMsg: result.err_msg });
          });
        });
      })
      .catch(function () {
        tagEvent(tag, "error", { errMsg: "launch:fail" });
      })
      .then(settle);
  }

  /** wx.config settled: render the tags on the page, or say why not. */
  function openTagsConfigured(ok, listed) {
    openTagConfig = { done: true, ok: ok, listed: listed || [] };
    openTagElements.forEach(function (tag) {
      tag.__wxjsRendered = false;
      renderTag(tag);
    });
  }

  if (window.customElements && versionAtLeast(CONFIG.clientVersion || "8.0.47", "7.0.12")) {
    OPEN_TAGS.forEach(function (name) {
      if (window.customElements.get(name)) return;
      window.customElements.define(
        name,
        class extends HTMLElement {
          connectedCallback() {
            if (openTagElements.indexOf(this) === -1) openTagElements.push(this);
            renderTag(this);
          }
          disconnectedCallback() {
            var i = openTagElements.indexOf(this);
            if (i !== -1) openTagElements.splice(i, 1);
          }
        }
      );
    });
  }
