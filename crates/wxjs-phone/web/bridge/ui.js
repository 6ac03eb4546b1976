  // ==== UI: the app's top bar, menus, sheets and panels, in a shadow DOM ======================
  // ---- menus (appendix 3) --------------------------------------------------------------------
  var MENU = [
    { id: "menuItem:share:appMessage", label: "发送给朋友", event: "menu:share:appmessage", tap: "share:appMessage", wx: "onMenuShareAppMessage", group: "share" },
    { id: "menuItem:share:timeline", label: "分享到朋友圈", event: "menu:share:timeline", tap: "share:timeline", wx: "onMenuShareTimeline", group: "share" },
    { id: "menuItem:share:qq", label: "分享到QQ", event: "menu:share:qq", tap: "share:qq", wx: "onMenuShareQQ", group: "share" },
    { id: "menuItem:share:weiboApp", label: "分享到Weibo", event: "menu:share:weiboApp", tap: "share:weiboApp", wx: "onMenuShareWeibo", group: "share" },
    { id: "menuItem:share:QZone", label: "分享到QQ空间", event: "menu:share:QZone", tap: "share:QZone", wx: "onMenuShareQZone", group: "share" },
    { id: "menuItem:favorite", label: "收藏", group: "share" },
    { id: "menuItem:share:facebook", label: "分享到FB", group: "share" },
    { id: "menuItem:exposeArticle", label: "举报", group: "base" },
    { id: "menuItem:setFont", label: "调整字体", group: "base" },
    { id: "menuItem:dayMode", label: "日间模式", group: "base" },
    { id: "menuItem:nightMode", label: "夜间模式", group: "base" },
    { id: "menuItem:refresh", label: "刷新", group: "base" },
    { id: "menuItem:profile", label: "查看公众号(已添加)", group: "base" },
    { id: "menuItem:addContact", label: "查看公众号(未添加)", group: "base" },
    { id: "menuItem:jsDebug", label: "调试", group: "protect" },
    { id: "menuItem:editTag", label: "编辑标签", group: "protect" },
    { id: "menuItem:delete", label: "删除", group: "protect" },
    { id: "menuItem:copyUrl", label: "复制链接", group: "protect" },
    { id: "menuItem:originPage", label: "原网页", group: "protect" },
    { id: "menuItem:readMode", label: "阅读模式", group: "protect" },
    { id: "menuItem:openWithQQBrowser", label: "在QQ浏览器中打开", group: "protect" },
    { id: "menuItem:openWithSafari", label: "在Safari中打开", group: "protect" },
    { id: "menuItem:share:email", label: "邮件", group: "protect" },
    { id: "menuItem:share:brand", label: "一些特殊公众号", group: "protect" }
  ];
  // night: the app is in night mode; follows: the person follows the page's account.
  var menuState = { optionHidden: false, hidden: {}, nonBaseHidden: false, night: false, follows: true };
  // Of each contradictory pair the menu shows only the one that applies.
  var PAIRS = {
    "menuItem:dayMode": function () { return menuState.night; },
    "menuItem:nightMode": function () { return !menuState.night; },
    "menuItem:profile": function () { return menuState.follows; },
    "menuItem:addContact": function () { return !menuState.follows; }
  };

  function itemVisible(item) {
    if (menuState.optionHidden) return false;
    if (menuState.hidden[item.id]) return false;
    if (menuState.nonBaseHidden && item.group !== "base") return false;
    if (PAIRS[item.id] && !PAIRS[item.id]()) return false;
    return true;
  }

  // What the items without a page event do in the emulator.
  var ACTIONS = {
    "menuItem:refresh": function () { window.location.reload(); },
    "menuItem:copyUrl": function () {
      copyText(window.location.href, function () { toast("已复制链接", "ok"); });
    },
    "menuItem:jsDebug": function () { openConsole(); },
    "menuItem:dayMode": function () { menuState.night = false; toast("已切换到日间模式", "ok"); },
    "menuItem:nightMode": function () { menuState.night = true; toast("已切换到夜间模式", "ok"); },
    "menuItem:addContact": function () { menuState.follows = true; toast("已关注", "ok"); }
  };

  // ---- UI --------------------------------------------------------------------------------------
  var root = null;
  var calls = [];

  var CSS =
    ":host{all:initial}" +
    ".bar{position:fixed;top:0;left:0;right:0;height:44px;background:#ededed;border-bottom:1px solid #d9d9d9;display:flex;align-items:center;font:16px -apple-system,'PingFang SC',sans-serif;color:#111;z-index:2147483000}" +
    ".bar .title{flex:1;text-align:center;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;padding:0 8px}" +
    ".bar button{background:none;border:0;font-size:20px;width:48px;height:44px;cursor:pointer}" +
    ".bar .log{font-size:12px;color:#576b95}" +
    ".mask{position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:2147483001;display:flex;align-items:flex-end;justify-content:center}" +
    ".sheet{background:#f7f7f7;width:100%;max-width:640px;border-radius:12px 12px 0 0;padding:16px;font:14px -apple-system,sans-serif;max-height:80vh;overflow:auto}" +
    ".items{display:flex;flex-wrap:wrap;gap:8px}.items button{background:#fff;border:0;border-radius:8px;padding:10px;min-width:88px;font-size:12px;cursor:pointer}" +
    ".card{background:#fff;border-radius:8px;padding:12px;margin:8px 0;display:flex;gap:12px}.card img{width:56px;height:56px;object-fit:cover;background:#eee}" +
    ".card .t{font-weight:600}.card .d,.card .l{color:#595959;font-size:12px;word-break:break-all}" +
    "[data-address]{cursor:pointer;border:2px solid transparent}[data-address].on{border-color:#07c160}" +
    ".actions{display:flex;gap:8px;margin-top:8px}.actions button{flex:1;padding:10px;border:0;border-radius:6px;font-size:15px;cursor:pointer}" +
    "button.ok{background:#077c3e;color:#fff}" +
    ".recording{position:fixed;top:56px;left:50%;transform:translateX(-50%);background:rgba(17,17,17,.88);color:#fff;border-radius:18px;padding:6px 14px;font:14px -apple-system,sans-serif;z-index:2147483002;display:flex;align-items:center;gap:6px}" +
    ".recording .dot{width:10px;height:10px;border-radius:50%;background:#ff4d4f;animation:blink 1s infinite}@keyframes blink{50%{opacity:.3}}" +
    ".cashier .amount{font-size:32px;font-weight:600;text-align:center;color:#111;margin:8px 0}" +
    ".rows{flex-direction:column;gap:6px}.c-row{display:flex;justify-content:space-between;gap:12px;font-size:14px}.c-row .k{color:#595959}.c-row .v{color:#111;text-align:right;word-break:break-all}" +
    ".album{display:grid;grid-template-columns:repeat(4,1fr);gap:4px;margin:8px 0}" +
    ".tile{position:relative;padding:0;border:0;background:#ddd;aspect-ratio:1;cursor:pointer;overflow:hidden}.tile img{width:100%;height:100%;object-fit:cover;display:block}" +
    ".tile .pick{position:absolute;top:4px;right:4px;width:22px;height:22px;border-radius:50%;border:2px solid #fff;background:rgba(0,0,0,.25);color:#fff;font:bold 13px/22px sans-serif;text-align:center}" +
    ".tile.on .pick{background:#077c3e}.tile.on img{opacity:.8}" +
    ".viewer{background:#000;align-items:center;z-index:2147483002}.viewer img{width:100%;height:100%;object-fit:contain;cursor:zoom-out}" +
    ".viewer .counter{position:absolute;top:12px;left:50%;transform:translateX(-50%);color:#fff;font:14px sans-serif;background:rgba(0,0,0,.5);padding:2px 10px;border-radius:10px}" +
    ".viewer .nav{position:absolute;background:rgba(0,0,0,.5);color:#fff;border:0;font-size:28px;width:44px;height:44px;border-radius:22px;cursor:pointer}" +
    ".viewer .prev{left:8px;top:50%}.viewer .next{right:8px;top:50%}.viewer .close{top:8px;right:8px;font-size:18px}" +
    ".sheet-title{font-weight:600;font-size:15px;color:#111;text-align:center;margin-bottom:4px}" +
    ".warn{background:#fff8e6;color:#7a4a00;border-radius:6px;padding:6px 8px;margin:6px 0;font-size:13px}" +
    ".closed{position:fixed;inset:0;background:#ededed;z-index:2147483002;display:flex;align-items:center;justify-content:center;text-align:center;font:16px -apple-system,sans-serif;color:#4d4d4d}" +
    ".closed button{padding:10px 20px;border:0;border-radius:6px;font-size:15px;cursor:pointer}" +
    ".toast{position:fixed;left:50%;bottom:24px;transform:translateX(-50%);width:max-content;max-width:min(560px,92vw);box-sizing:border-box;background:#1f1f1f;color:#fff;padding:10px 14px;border-radius:8px;font:14px -apple-system,'PingFang SC',sans-serif;z-index:2147483004;box-shadow:0 4px 16px rgba(0,0,0,.3);pointer-events:none;word-break:break-word}" +
    ".toast.done{top:40%;bottom:auto;min-width:120px;text-align:center;background:rgba(17,17,17,.88)}";

  function mount() {
    if (root) return root;
    var host = el("div", { id: "wxjs-client" });
    document.documentElement.appendChild(host);
    root = host.attachShadow({ mode: "open" });
    var style = el("style", { text: CSS + CONSOLE_CSS });
    if (NONCE) style.nonce = NONCE;
    root.appendChild(style);
    var bar = el("div", { class: "bar", "data-bar": "" }, [
      el("button", { title: "关闭", text: "✕", onclick: closeWindow }),
      el("div", { class: "title", "data-title": "" }),
      // On a desktop, the same page in the device view (a phone-sized frame, the console beside).
      !device && window.top === window.self && window.innerWidth >= 900
        ? el("button", { class: "log", text: "设备", title: "open this page in the device view (a phone-sized frame, the console beside)", "data-device-button": "", onclick: function () {
            window.location.href = "/__wxjs/device?url=" + encodeURIComponent(window.location.pathname + window.location.search + window.location.hash);
          } })
        : null,
      el("button", { class: "log", text: "调试", title: "JS-SDK console", "data-log-button": "", onclick: openConsole }),
      el("button", { text: "…", "data-menu-button": "", onclick: showMenu })
    ]);
    root.appendChild(bar);
    document.documentElement.style.paddingTop = "45px";
    renderBar();
    return root;
  }

  /** The console: beside the phone in the device view, else over the page. */
  function openConsole() {
    if (device && device.showConsole) device.showConsole();
    else showConsole();
  }

  function renderBar() {
    if (!root) return;
    // In a <web-view>: the host's page on top, when the host navigated away from this page.
    var top = mpStack && mpStack.length ? mpStack[mpStack.length - 1] : null;
    root.querySelector("[data-title]").textContent =
      top && top !== "/pages/webview/webview" ? "小程序 " + top : document.title || "";
    root.querySelector("[data-menu-button]").style.visibility = menuState.optionHidden ? "hidden" : "visible";
  }

  function overlay(content, onDismiss) {
    mount();
    var mask = el("div", { class: "mask" }, [content]);
    // A tap beside the sheet, or Esc, dismisses it: what 取消 does, where it has one.
    mask.__dismiss = function () {
      mask.remove();
      if (onDismiss) onDismiss();
    };
    mask.addEventListener("click", function (e) {
      if (e.target === mask) mask.__dismiss();
    });
    root.appendChild(mask);
    return mask;
  }

  function showMenu() {
    var visible = MENU.filter(itemVisible);
    var mask;
    var items = visible.map(function (item) {
      return el("button", {
        text: item.label,
        "data-item": item.id,
        onclick: function () {
          mask.remove();
          if (item.event) return fireMenu(item.event, "person");
          // Logged first: 刷新 would cancel a post still on its way.
          var act = function () {
            if (ACTIONS[item.id]) ACTIONS[item.id]();
            else toast(item.label + ": the emulator does not simulate this item", "info");
          };
          post("/__wxjs/note", { session: session, api: "tap " + item.id.replace("menuItem:", ""), result: { by: "person" } }).then(act, act);
        }
      });
    });
    mask = overlay(el("div", { class: "sheet", "data-menu": "" }, [
      el("div", { class: "items" }, items),
      el("div", { class: "actions" }, [el("button", { text: "取消", "data-cancel": "", onclick: function () { mask.remove(); } })])
    ]));
  }

  function fireMenu(event, who) {
    var item = MENU.filter(function (i) {
      return i.event === event;
    })[0];
    if (!item || !itemVisible(item)) {
      post("/__wxjs/note", { session: session, api: "tap " + (item ? item.tap : event), result: { ignored: "the menu item is hidden" } });
      return;
    }
    var handler = handlers[event];
    var update = shareData[event];
    if (update && (!handler || update.at > (handlerAt[event] || 0))) {
      // Content set by update*ShareData, later than any handler: the app shares it itself.
      shareSheet(update.api, update.content, null).then(function (action) {
        post("/__wxjs/note", { session: session, api: update.api, result: { shared: action, menu: item.tap } });
      });
      post("/__wxjs/note", { session: session, api: "tap " + item.tap, result: { by: who, handled: true, content: update.api } });
      return;
    }
    if (handler) {
      handler(event === "menu:share:appmessage" ? { scene: "friend" } : {});
    } else {
      // No page handler: WeChat shares the page itself (automation answers it by the
      // interface that would have supplied the content).
      shareSheet(item.wx || event, { title: document.title, desc: "", link: window.location.href, img_url: "" }, null);
    }
    post("/__wxjs/note", { session: session, api: "tap " + item.tap, result: { by: who, handled: !!handler, content: handler ? "page handler" : "the page itself" } });
  }

  // The channel each share interface sends through, as the sheet names it.
  var CHANNELS = {
    onMenuShareAppMessage: "发送给朋友", updateAppMessageShareData: "发送给朋友", sendAppMessage: "发送给朋友",
    onMenuShareTimeline: "分享到朋友圈", updateTimelineShareData: "分享到朋友圈", shareTimeline: "分享到朋友圈",
    onMenuShareQQ: "分享到QQ", shareQQ: "分享到QQ", onMenuShareWeibo: "分享到Weibo", shareWeiboApp: "分享到Weibo",
    onMenuShareQZone: "分享到QQ空间", shareQZone: "分享到QQ空间"
  };

  /** Shows what is being shared, through which channel, and what would make the real share fail
   * or look broken; resolves with ok/cancel (the person's or automation's). */
  function shareSheet(api, content, automated) {
    return new Promise(function (resolve) {
      var mask;
      var channel = CHANNELS[api] || "分享";
      var done = function (action) {
        delete openPrompts[api];
        if (mask) mask.remove();
        if (action === "ok") toast(channel === "发送给朋友" ? "已发送" : "已分享", "ok");
        resolve(action);
      };
      var warnings = el("div", { class: "warnings", "data-share-warnings": "" });
      post("/__wxjs/share/check", { session: session, title: content.title || "", link: content.link || "", imgUrl: content.img_url || "" })
        .then(function (r) {
          ((r && r.warnings) || []).forEach(function (w) {
            warnings.appendChild(el("div", { class: "warn", "data-share-warning": "", text: "⚠ " + w }));
          });
        })
        .catch(function () {
          /* the phone origin is gone: no warnings to show */
        });
      var card = el("div", { class: "card" }, [
        content.img_url ? el("img", { src: content.img_url, alt: "" }) : null,
        el("div", {}, [
          el("div", { class: "t", text: content.title || "", "data-share-title": "" }),
          el("div", { class: "d", text: content.desc || "", "data-share-desc": "" }),
          el("div", { class: "l", text: content.link || "", "data-share-link": "" }),
          content.via ? el("div", { class: "l", text: "via " + content.via, "data-share-via": "" }) : null
        ])
      ]);
      var sheet = el("div", { class: "sheet", "data-share": api }, [
        el("div", { class: "sheet-title", "data-share-channel": "", text: channel }),
        card,
        warnings,
        el("div", { class: "actions" }, [
          el("button", { text: "取消", "data-cancel": "", onclick: function () { done("cancel"); } }),
          el("button", { class: "ok", text: "发送", "data-send": "", onclick: function () { done("ok"); } })
        ])
      ]);
      mask = overlay(sheet, function () {
        done("cancel");
      });
      if (automated) {
        setTimeout(function () {
          done(automated.action);
        }, 50);
      } else {
        openPrompts[api] = done;
      }
    });
  }

  /** The web view closed (by the page's closeWindow, or the person's ✕): a blank screen that
   * offers to open the page again, fresh from the link it was opened with. */
  function closeWindow(who) {
    mount();
    if (root.querySelector("[data-closed]")) return;
    var byPerson = who && who.type === "click";
    root.appendChild(el("div", { class: "closed", "data-closed": byPerson ? "person" : "page" }, [
      el("div", {}, [
        el("p", { text: byPerson ? "页面已关闭 (closed with ✕)" : "页面已关闭 (the page called closeWindow)" }),
        el("button", {
          class: "ok",
          text: "重新打开 reopen",
          "data-reopen": "",
          onclick: function () {
            // Fresh from the link. A URL without a #fragment always loads anew; one with a
            // fragment, in the same document, only scrolls: then it is reloaded (after the
            // fragment changed, which is synchronous).
            var sameDocument = window.location.href.split("#")[0] === landingUrl.split("#")[0];
            window.location.href = landingUrl;
            if (sameDocument && landingUrl.indexOf("#") !== -1) window.location.reload();
          }
        })
      ])
    ]));
  }

  function productPanel(params) {
    var mask = overlay(
      el("div", { class: "sheet", "data-product": params.pid || "" }, [
        el("div", { class: "card" }, [el("div", {}, [el("div", { class: "t", text: "微信小店商品 " + (params.pid || "") }), el("div", { class: "d", text: "viewType " + params.view_type })])]),
        el("div", { class: "actions" }, [el("button", { text: "返回", onclick: function () { mask.remove(); } })])
      ])
    );
  }

  /** chooseImage: sample photos, files, or the (simulated) camera; count and sourceType honoured. */
  function chooseImage(params, automated) {
    var count = Math.max(1, Math.min(9, params.count || 9));
    var sources = params.sourceType || ["album", "camera"];
    var finish = function (ids) {
      return { err_msg: "chooseImage:ok", localIds: CONFIG.platform === "android" ? JSON.stringify(ids) : ids };
    };
    // sizeType ["compressed"] alone: the client re-encodes each photo as a smaller JPEG.
    var sizes = params.sizeType || ["original", "compressed"];
    var compress = sizes.indexOf("original") === -1 && sizes.indexOf("compressed") !== -1;
    var jpeg = function (src) {
      return new Promise(function (ok) {
        var img = new Image();
        img.onload = function () {
          var canvas = document.createElement("canvas");
          canvas.width = img.naturalWidth;
          canvas.height = img.naturalHeight;
          canvas.getContext("2d").drawImage(img, 0, 0);
          ok({ name: "compressed.jpg", base64: canvas.toDataURL("image/jpeg", 0.6).split(",")[1] });
        };
        img.onerror = function () { ok(null); };
        img.src = src;
      });
    };
    var create = function (samples, files) {
      samples = samples.slice(0, count);
      files = files.slice(0, count - samples.length);
      var ready = !compress
        ? Promise.resolve({ samples: samples, files: files })
        : Promise.all(samples.map(function (n) { return jpeg("/__wxjs/samples/" + n + ".png"); })
            .concat(files.map(function (f) { return jpeg("data:image/*;base64," + f.base64); })))
            .then(function (all) { return { samples: [], files: all.filter(Boolean) }; });
      return ready.then(function (body) {
        return post("/__wxjs/local", body);
      }).then(function (r) {
        return r.localIds ? finish(r.localIds) : { err_msg: "chooseImage:fail_" + (r.error ? r.error.message : "no photo") };
      });
    };
    var answered = function (action, answer) {
      if (action !== "ok") return Promise.resolve({ err_msg: "chooseImage:" + action });
      var d = (answer && answer.data) || {};
      return create(d.samples || (d.files ? [] : [0]), d.files || []);
    };
    if (automated) return answered(automated.action, automated);
    return new Promise(function (resolve) {
      var picked = [];
      var mask;
      var done = function (promise) {
        delete openPrompts.chooseImage;
        if (mask) mask.remove();
        promise.then(resolve);
      };
      // The album: a grid of the sample photos; each chosen one carries its number, as in
      // WeChat, and 完成 counts them.
      var finishButton = null;
      var thumbs = [0, 1, 2, 3].map(function (n) {
        var img = el("img", { src: "/__wxjs/samples/" + n + ".png", alt: "sample " + n });
        var badge = el("span", { class: "pick" });
        var tile = el("button", { class: "tile", "data-sample": String(n), "aria-pressed": "false", title: "sample " + n }, [img, badge]);
        tile.addEventListener("click", function () {
          var i = picked.indexOf(n);
          if (i >= 0) picked.splice(i, 1);
          else if (picked.length < count) picked.push(n);
          thumbs.forEach(function (t, k) {
            var at = picked.indexOf(k);
            t.classList.toggle("on", at >= 0);
            t.setAttribute("aria-pressed", at >= 0 ? "true" : "false");
            t.lastChild.textContent = at >= 0 ? String(at + 1) : "";
          });
          if (finishButton) finishButton.textContent = picked.length ? "完成(" + picked.length + "/" + count + ")" : "完成";
        });
        return tile;
      });
      var file = el("input", { type: "file", accept: "image/png,image/jpeg,image/gif", "data-file": "" });
      if (count > 1) file.setAttribute("multiple", "");
      file.addEventListener("change", function () {
        var list = Array.prototype.slice.call(file.files, 0, count);
        Promise.all(list.map(function (f) {
          return new Promise(function (ok) {
            var r = new FileReader();
            r.onload = function () { ok({ name: f.name, base64: String(r.result).split(",")[1] }); };
            r.readAsDataURL(f);
          });
        })).then(function (files) { done(create([], files)); });
      });
      var album = sources.indexOf("album") !== -1;
      var camera = sources.indexOf("camera") !== -1;
      finishButton = album ? el("button", { class: "ok", text: "完成", "data-send": "", onclick: function () { done(picked.length ? create(picked, []) : Promise.resolve({ err_msg: "chooseImage:cancel" })); } }) : null;
      mask = overlay(
        el("div", { class: "sheet", "data-choose-image": String(count) }, [
          el("div", { class: "sheet-title", text: "选择照片 (at most " + count + ")" }),
          album ? el("div", { class: "album" }, thumbs) : null,
          album ? el("label", { class: "d" }, [el("span", { text: "或从电脑选择 · or files: " }), file]) : null,
          el("div", { class: "actions" }, [
            el("button", { text: "取消", "data-cancel": "", onclick: function () { done(Promise.resolve({ err_msg: "chooseImage:cancel" })); } }),
            camera ? el("button", { text: "拍照", "data-camera": "", onclick: function () { done(create([0], [])); } }) : null,
            finishButton
          ])
        ]),
        function () { done(Promise.resolve({ err_msg: "chooseImage:cancel" })); }
      );
      openPrompts.chooseImage = function (action, answer) { done(answered(action, answer)); };
    });
  }

  /** previewImage: the images full-screen on black, the current one first; ‹ › or the arrow
   * keys move, a tap on the image (or ✕, or Esc) closes. */
  function previewPanel(params) {
    mount();
    var urls = (params.urls || []).filter(function (u) { return typeof u === "string"; });
    if (!urls.length) return;
    var at = Math.max(0, urls.indexOf(params.current));
    var img = el("img", { alt: "", "data-preview-image": "" });
    var counter = el("div", { class: "counter", "data-preview-counter": "" });
    var show = function () {
      img.src = urls[at];
      counter.textContent = at + 1 + " / " + urls.length;
    };
    var move = function (d) {
      at = (at + d + urls.length) % urls.length;
      show();
    };
    var viewer = el("div", { class: "mask viewer", "data-preview": params.current || "" }, [
      img,
      counter,
      urls.length > 1 ? el("button", { class: "nav prev", text: "‹", title: "previous", onclick: function (e) { e.stopPropagation(); move(-1); } }) : null,
      urls.length > 1 ? el("button", { class: "nav next", text: "›", title: "next", onclick: function (e) { e.stopPropagation(); move(1); } }) : null,
      el("button", { class: "nav close", text: "✕", title: "close", "data-preview-close": "", onclick: function () { viewer.__dismiss(); } })
    ]);
    var keys = function (e) {
      if (e.key === "ArrowLeft") move(-1);
      if (e.key === "ArrowRight") move(1);
    };
    viewer.__dismiss = function () {
      document.removeEventListener("keydown", keys);
      viewer.remove();
    };
    img.addEventListener("click", viewer.__dismiss);
    document.addEventListener("keydown", keys);
    show();
    root.appendChild(viewer);
  }

  function locationPanel(params) {
    var mask = overlay(
      el("div", { class: "sheet", "data-location": params.name || "" }, [
        el("div", { class: "card" }, [
          el("div", {}, [
            el("div", { class: "t", text: params.name || "(no name)" }),
            el("div", { class: "d", text: params.address || "" }),
            el("div", { class: "l", text: params.latitude + ", " + params.longitude + " · scale " + params.scale }),
            params.infoUrl ? el("a", { href: params.infoUrl, text: params.infoUrl, target: "_blank" }) : null
          ])
        ]),
        el("div", { class: "actions" }, [el("button", { text: "返回", onclick: function () { mask.remove(); } })])
      ])
    );
  }

  // ---- carrying out the calls the client decides with the person ------------------------------
  var SHARE_APIS = {
    shareTimeline: "onMenuShareTimeline",
    sendAppMessage: "onMenuShareAppMessage",
    shareQQ: "onMenuShareQQ",
    shareWeiboApp: "onMenuShareWeibo",
    shareQZone: "onMenuShareQZone"
  };

  /** The cashier of chooseWXPay: the amount, who is paid, the order; the person pays or
   * cancels. 支付成功 follows once the app's other half has recorded the payment. */
  function paySheet(order, automated) {
    return new Promise(function (resolve) {
      var mask;
      var done = function (action) {
        delete openPrompts.chooseWXPay;
        if (mask) mask.remove();
        resolve({ err_msg: "get_brand_wcpay_request:" + action });
      };
      lastOrder = order;
      var amount = "¥" + (Number(order.totalFee || 0) / 100).toFixed(2);
      var row = function (k, v, attr) {
        var attrs = { class: "c-row" };
        if (attr) attrs[attr] = "";
        return el("div", attrs, [el("span", { class: "k", text: k }), el("span", { class: "v", text: v })]);
      };
      mask = overlay(
        el("div", { class: "sheet cashier", "data-pay": order.outTradeNo || "" }, [
          el("div", { class: "sheet-title", text: "确认付款" }),
          el("div", { class: "amount", text: amount, "data-pay-amount": "" }),
          el("div", { class: "card rows" }, [
            row("收款方", order.payee || "", "data-pay-payee"),
            row("商品", order.body || "", "data-pay-body"),
            row("订单号", order.outTradeNo || ""),
            row("支付方式", "零钱")
          ]),
          el("div", { class: "actions" }, [
            el("button", { text: "取消", "data-cancel": "", onclick: function () { done("cancel"); } }),
            el("button", { class: "ok", text: "支付 " + amount, "data-send": "", onclick: function () { done("ok"); } })
          ])
        ]),
        function () { done("cancel"); }
      );
      if (automated) setTimeout(function () { done(automated.action); }, 50);
      else openPrompts.chooseWXPay = done;
    });
  }

  /** The order the last cashier showed (for 支付成功). */
  var lastOrder = null;

  /** What the app shows once a call's outcome is final: 支付成功 after a payment. */
  function announce(name, result) {
    var m = String((result && result.err_msg) || "");
    if (name === "getBrandWCPayRequest" && /:ok$/.test(m)) {
      toast("支付成功" + (lastOrder ? " ¥" + (Number(lastOrder.totalFee || 0) / 100).toFixed(2) : ""), "ok");
    }
  }

  /** A sheet that waits for the person's (or automation's) answer under a wx api name.
   * `finish(action, answer)` gets "ok", "cancel" (the cancel button, or automation's other
   * answers) or, for a tap beside the sheet or Esc, `dismissed` ("cancel" unless given);
   * `cancelLabel` names the cancel button (取消 unless given). */
  function promptSheet(api, attrs, body, okLabel, finish, automated, cancelLabel, dismissed) {
    return new Promise(function (resolve) {
      var mask;
      var done = function (action, answer) {
        delete openPrompts[api];
        if (mask) mask.remove();
        resolve(finish(action, answer));
      };
      mask = overlay(
        el("div", attrs, body.concat([
          el("div", { class: "actions" }, [
            el("button", { text: cancelLabel || "取消", "data-cancel": "", onclick: function () { done("cancel"); } }),
            el("button", { class: "ok", text: okLabel, "data-send": "", onclick: function () { done("ok"); } })
          ])
        ])),
        function () { done(dismissed || "cancel"); }
      );
      if (automated) setTimeout(function () { done(automated.action, automated); }, 50);
      else openPrompts[api] = done;
    });
  }

  function cardRow(c, extra) {
    return el("div", { class: "card", "data-card": c.cardId }, [
      el("div", {}, [el("div", { class: "t", text: c.title || c.cardId }), el("div", { class: "d", text: (c.cardType || "") + (extra ? " · " + extra : "") })])
    ]);
  }

  /** The answer (automation's, with its data) the last askSheet got. */
  var lastAsked = {};

  /** A yes/no sheet for the later interfaces; resolves with the action. */
  function askSheet(api, title, lines, okLabel, automated) {
    return promptSheet(api, { class: "sheet", "data-ask": api },
      [el("div", { class: "t", text: title })].concat(lines.map(function (l) { return el("div", { class: "d", text: String(l) }); })),
      okLabel,
      function (action, answer) {
        lastAsked = answer || {};
        return action;
      }, automated);
  }

  /** openAddress: the simulated user's saved addresses; the person picks one. */
  function addressSheet(prompt, automated) {
    var addresses = prompt.addresses || [];
    var picked = 0;
    var rows = addresses.map(function (a, i) {
      var row = el("div", { class: "card", "data-address": String(i) }, [
        el("div", {}, [
          el("div", { class: "t", text: a.userName + " " + a.telNumber }),
          el("div", { class: "d", text: a.proviceFirstStageName + a.addressCitySecondStageName + a.addressCountiesThirdStageName + a.addressDetailInfo })
        ])
      ]);
      row.addEventListener("click", function () {
        picked = i;
        Array.prototype.forEach.call(row.parentNode.querySelectorAll("[data-address]"), function (r) { r.classList.toggle("on", r === row); });
      });
      if (i === 0) row.classList.add("on");
      return row;
    });
    return promptSheet("openAddress", { class: "sheet", "data-address-sheet": "" }, rows, "使用", function (action, answer) {
      if (action !== "ok") return { err_msg: "edit_address:" + action };
      var i = answer && answer.data && typeof answer.data.index === "number" ? answer.data.index : picked;
      var a = addresses[i];
      if (!a) return { err_msg: "edit_address:fail" };
      var res = { err_msg: "edit_address:ok" };
      for (var k in a) {
        if (Object.prototype.hasOwnProperty.call(a, k)) res[k] = a[k];
      }
      return res;
    }, automated);
  }

  function addCardSheet(prompt, automated) {
    var cards = prompt.cards || [];
    return promptSheet("addCard", { class: "sheet", "data-add-card": "" },
      cards.map(function (c) { return cardRow(c, c.accepted ? "可领取" : "无效: " + c.why); }), "领取",
      function (action) {
        if (action !== "ok") return { err_msg: "batch_add_card:" + action };
        return { err_msg: "batch_add_card:ok", card_list: JSON.stringify(cards.map(function (c) { return { card_id: c.cardId, card_ext: c.cardExt, is_succ: c.accepted ? 1 : 0 }; })) };
      }, automated);
  }

  function chooseCardSheet(prompt, automated) {
    var wallet = prompt.wallet || [];
    var picked = wallet.length ? [0] : [];
    var rows = wallet.map(function (c, i) {
      var row = cardRow(c, c.code);
      row.style.cursor = "pointer";
      row.addEventListener("click", function () {
        var at = picked.indexOf(i);
        if (at >= 0) picked.splice(at, 1); else picked.push(i);
        row.style.outline = picked.indexOf(i) >= 0 ? "2px solid #07c160" : "none";
      });
      if (i === 0) row.style.outline = "2px solid #07c160";
      return row;
    });
    return promptSheet("chooseCard", { class: "sheet", "data-choose-card": "" }, rows.length ? rows : [el("div", { text: "卡包中没有可用的卡券" })], "确定",
      function (action, answer) {
        if (action !== "ok") return { err_msg: "choose_card:" + action };
        var chosen = answer && answer.data && answer.data.cards ? answer.data.cards : picked;
        return { err_msg: "choose_card:ok", choose_card_info: JSON.stringify(chosen.filter(function (i) { return wallet[i]; }).map(function (i) { return { card_id: wallet[i].cardId, encrypt_code: wallet[i].encryptCode }; })) };
      }, automated);
  }

  function openCardPanel(prompt) {
    var mask = overlay(el("div", { class: "sheet", "data-open-card": "" }, (prompt.cards || []).map(function (c) {
      return cardRow(c, c.inWallet ? "卡包中 · " + c.code : "不在卡包中");
    }).concat([el("div", { class: "actions" }, [el("button", { text: "返回", onclick: function () { mask.remove(); } })])])));
  }

  /** scanQRCode: the camera sees an image the person picks (or automation supplies). */
  function scanSheet(id, params, automated) {
    var scanWith = function (base64) {
      return post("/__wxjs/scan", { id: id, base64: base64 }).then(function (r) {
        if (!r.result) return { err_msg: "scanQRCode:fail_" + (r.error ? r.error.message : "no code") };
        if (params.needResult !== 1 || r.result.err_msg !== "scanQRCode:ok") {
          // WeChat handles the result itself: show it.
          var mask = overlay(el("div", { class: "sheet", "data-scan-result": r.text }, [
            el("div", { class: "card" }, [el("div", {}, [el("div", { class: "t", text: r.result.err_msg === "scanQRCode:ok" ? "扫描结果" : "未识别到二维码/条码" }), el("div", { class: "d", text: r.text })])]),
            el("div", { class: "actions" }, [el("button", { text: "返回", onclick: function () { mask.remove(); } })])
          ]));
        }
        return r.result;
      });
    };
    if (automated) {
      if (automated.action !== "ok") return Promise.resolve({ err_msg: "scanQRCode:" + automated.action });
      return scanWith((automated.data || {}).base64 || "");
    }
    return new Promise(function (resolve) {
      var mask;
      var done = function (promise) {
        delete openPrompts.scanQRCode;
        if (mask) mask.remove();
        promise.then(resolve);
      };
      var file = el("input", { type: "file", accept: "image/png", "data-file": "" });
      file.addEventListener("change", function () {
        var r = new FileReader();
        r.onload = function () { done(scanWith(String(r.result).split(",")[1])); };
        r.readAsDataURL(file.files[0]);
      });
      mask = overlay(el("div", { class: "sheet", "data-scan": "" }, [
        el("b", { text: "扫一扫: choose a picture of a QR code or bar code (PNG)" }), file,
        el("div", { class: "actions" }, [el("button", { text: "取消", "data-cancel": "", onclick: function () { done(Promise.resolve({ err_msg: "scanQRCode:cancel" })); } })])
      ]), function () { done(Promise.resolve({ err_msg: "scanQRCode:cancel" })); });
      openPrompts.scanQRCode = function (action, answer) {
        done(action === "ok" ? scanWith(((answer && answer.data) || {}).base64 || "") : Promise.resolve({ err_msg: "scanQRCode:" + action }));
      };
    });
  }

