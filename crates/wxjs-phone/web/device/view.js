  // ==== the device view: the page in a phone-sized frame, the debug console beside ==========
  // The frame is of the same origin as the page, so the page keeps its URL (and signs it); its
  // viewport is the preset's, so its CSS sees a phone. The console reads the same tab's page
  // sessions the framed pages register.
  var DEVICE = JSON.parse(document.getElementById("wxjs-device").textContent);
  var $ = function (sel) { return document.querySelector(sel); };
  var frame = $("[data-frame]");
  var select = $("[data-preset]");
  var current = null;

  var host = document.getElementById("wxjs-device-console");
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("style", { text: ":host{all:initial;display:block;height:100%}" + CONSOLE_CSS }));
  function mount() {
    return root;
  }
  function showConsoleFocused() {
    var f = root.querySelector("[data-console-filter]");
    if (f) f.focus();
  }
  // What a framed page asks of its device (the bridge reads it): the preset's screen, and the
  // console beside (its 调试 button focuses it).
  window.__wxjsDevice = { screen: null, showConsole: showConsoleFocused };

  function presetsOf(os) {
    return DEVICE.presets.filter(function (p) { return p.os === os; });
  }

  function fillPresets(os) {
    select.textContent = "";
    presetsOf(os).forEach(function (p) {
      var o = el("option", { value: p.id, text: p.name + " · " + p.width + "×" + p.height });
      select.appendChild(o);
    });
  }

  /** Sizes the frame as the preset's screen: the status bar drawn here, the rest the web view. */
  function apply(preset) {
    current = preset;
    select.value = preset.id;
    var phone = $("[data-phone]");
    phone.classList.toggle("android", preset.os === "android");
    $("[data-status]").style.cssText = "width:" + preset.width + "px;height:" + preset.statusBar + "px";
    frame.style.width = preset.width + "px";
    frame.style.height = preset.height - preset.statusBar + "px";
    window.__wxjsDevice.screen = { width: preset.width, height: preset.height, dpr: preset.dpr };
    fit();
    Array.prototype.forEach.call(document.querySelectorAll("[data-platform]"), function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-platform") === preset.os ? "true" : "false");
    });
    remember();
  }

  /** Scales the whole phone down to fit the window's height (a transform: the page's viewport
   * stays the preset's). */
  function fit() {
    if (!current) return;
    var stage = $(".stage");
    var wrap = $("[data-phone]").parentNode;
    var room = stage.clientHeight - 48 - 28;
    var need = current.height + 24;
    var scale = Math.min(1, Math.max(0.4, room / need));
    wrap.style.transform = scale < 1 ? "scale(" + scale.toFixed(3) + ")" : "";
    wrap.style.transformOrigin = "top center";
    // A transform keeps the layout box: take back the room the scaled phone no longer uses.
    wrap.style.marginBottom = scale < 1 ? -Math.round(wrap.offsetHeight * (1 - scale)) + "px" : "";
    $("[data-size]").textContent = current.name + " — viewport " + current.width + "×" + (current.height - current.statusBar) +
      " CSS px, devicePixelRatio " + current.dpr + (scale < 1 ? " · shown at " + Math.round(scale * 100) + "%" : "");
  }
  window.addEventListener("resize", fit);

  /** The device view's own URL says which page and preset, so a reload keeps both. */
  function remember() {
    var url = pageUrl();
    var q = "?url=" + encodeURIComponent(url) + "&preset=" + encodeURIComponent(current ? current.id : "");
    window.history.replaceState(null, "", "/__wxjs/device" + q);
    $("[data-url]").textContent = window.location.origin + url;
    $("[data-direct]").setAttribute("href", url);
  }

  function pageUrl() {
    try {
      var l = frame.contentWindow.location;
      if (l.origin === window.location.origin) return l.pathname + l.search + l.hash;
    } catch (e) {
      /* a page of another origin: keep the last known */
    }
    return DEVICE.url;
  }

  /** Loads the page again: its own reload where it is of this origin (also when only its
   * #fragment moved), else the page the view was opened with. */
  function reloadFrame() {
    try {
      frame.contentWindow.location.reload();
    } catch (e) {
      frame.src = DEVICE.url;
    }
  }

  /** The platform switch: the app's setting (pages loaded afterwards see it), then a reload. */
  function switchPlatform(os) {
    if (current && current.os === os) return;
    post("/__wxjs/settings", { platform: os }).then(function () {
      fillPresets(os);
      apply(presetsOf(os)[0]);
      reloadFrame();
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-platform]"), function (b) {
    b.addEventListener("click", function () { switchPlatform(b.getAttribute("data-platform")); });
  });
  select.addEventListener("change", function () {
    var p = DEVICE.presets.filter(function (x) { return x.id === select.value; })[0];
    if (!p) return;
    apply(p);
    // The page sees its new viewport; screen.width changes on its next load.
    reloadFrame();
  });
  $("[data-reload]").addEventListener("click", reloadFrame);
  frame.addEventListener("load", function () {
    DEVICE.url = pageUrl();
    remember();
  });
  setInterval(function () {
    var d = new Date();
    $("[data-clock]").textContent = ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }, 1000);
  $("[data-clock]").textContent = "9:41";

  var first = DEVICE.presets.filter(function (p) { return p.id === DEVICE.preset; })[0] || DEVICE.presets[0];
  fillPresets(first.os);
  apply(first);
  // The app runs as the preset's platform (the one emulated phone: other tabs see it too).
  (DEVICE.platform === first.os ? Promise.resolve() : post("/__wxjs/settings", { platform: first.os })).then(function () {
    frame.src = DEVICE.url;
  });
  consoleState.docked = true;
  showConsole();
