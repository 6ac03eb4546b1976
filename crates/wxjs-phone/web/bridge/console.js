  // ==== the debug console: every JS-SDK call of this tab, newest first, with the reasons =========
  // The call log lives on the phone origin (GET /__wxjs/log); the console shows the entries of
  // this tab's page sessions (kept in sessionStorage, so a reload keeps them), one line each.
  var TAB_KEY = "__wxjs_sessions";
  // A panel at the right on a desktop, the lower 70 % on a phone; docked: a column of the
  // device view.
  var CONSOLE_CSS =
    ".console{position:fixed;top:45px;right:0;bottom:0;width:min(440px,100vw);background:#fff;color:#111;border-left:1px solid #d9d9d9;box-shadow:-4px 0 16px rgba(0,0,0,.12);z-index:2147483003;display:flex;flex-direction:column;font:13px -apple-system,'PingFang SC',sans-serif}" +
    "@media (max-width:600px){.console{top:auto;left:0;width:auto;height:70vh;border-left:0;border-top:1px solid #d9d9d9;border-radius:12px 12px 0 0;box-shadow:0 -4px 16px rgba(0,0,0,.15)}}" +
    ".c-top{display:flex;align-items:center;gap:6px;padding:8px 10px;border-bottom:1px solid #e5e5e5;background:#f7f7f7}" +
    ".c-top b{flex:1;font-size:13px;color:#111}.c-count{color:#595959;font-size:12px}" +
    ".c-top button{background:#fff;border:1px solid #c9c9c9;border-radius:4px;color:#111;font-size:12px;padding:3px 8px;cursor:pointer}" +
    ".console input{margin:8px 10px;padding:6px 8px;border:1px solid #c9c9c9;border-radius:4px;font-size:13px;color:#111;background:#fff}" +
    ".c-list{flex:1;overflow:auto}.c-empty{padding:16px;color:#595959}" +
    ".c-line{border-bottom:1px solid #eee;border-left:3px solid #8c8c8c}.c-line.ok{border-left-color:#067d3a}.c-line.fail{border-left-color:#c4161c;background:#fff7f7}" +
    ".c-head{display:flex;gap:8px;width:100%;align-items:baseline;background:none;border:0;padding:7px 10px;text-align:left;cursor:pointer;font:13px ui-monospace,Menlo,monospace;color:#111}" +
    ".c-time{color:#595959;font-size:12px}.c-api{flex:1;word-break:break-all}" +
    ".c-line .c-mark{color:#595959}.c-line.ok .c-mark{color:#067d3a}.c-line.fail .c-mark{color:#c4161c}" +
    ".c-why{padding:0 10px 7px 20px;color:#a10f14;font-size:12px;word-break:break-word}.c-why.c-warn{color:#7a4a00}" +
    ".c-detail{padding:0 10px 8px 20px}.c-k{color:#595959;font-size:11px;text-transform:uppercase;margin-top:6px}" +
    ".c-v{margin:2px 0;background:#f4f5f7;color:#111;padding:6px;border-radius:4px;font:12px ui-monospace,Menlo,monospace;white-space:pre-wrap;word-break:break-all}" +
    ".c-reason{background:#fff0f0;color:#8a0c10}" +
    ".console.docked{position:static;width:auto;height:100%;border:0;box-shadow:none;border-radius:0}";
  /** This tab's page sessions, oldest first (`add`: a page of this tab that just loaded). The
   * device view reads the same list: its frame is of the same origin and the same tab. */
  function tabSessions(add) {
    var list = [];
    try {
      list = JSON.parse(window.sessionStorage.getItem(TAB_KEY) || "[]");
    } catch (e) {
      list = [];
    }
    if (!Array.isArray(list)) list = [];
    if (add && list.indexOf(add) === -1) {
      list.push(add);
      list = list.slice(-20);
      try {
        window.sessionStorage.setItem(TAB_KEY, JSON.stringify(list));
      } catch (e) {
        /* storage refused (a sandboxed frame): this page's calls only */
      }
    }
    return list.length ? list : add ? [add] : [];
  }
  if (typeof session === "string") tabSessions(session);
  // docked: the console is a column of the device view (always open, no ✕, Esc leaves it).
  var consoleState = { open: false, docked: false, filter: "", clearedAfter: 0, expanded: {}, timer: null, entries: [] };
  try {
    consoleState.clearedAfter = Number(window.sessionStorage.getItem(TAB_KEY + "_cleared") || 0);
  } catch (e) {
    /* as above */
  }

  /** ok, fail, cancel or pending, from the result the page received. */
  function outcome(e) {
    if (!e.result || e.result.recording) return "pending";
    // A note (a menu tap, an ignored repeat): what happened, neither success nor failure.
    if (e.result.err_msg === undefined && e.result.errMsg === undefined) return "note";
    var m = String(e.result.err_msg || e.result.errMsg || "");
    // getNetworkType succeeds with the network as its suffix.
    if (/:(ok|confirm)$/.test(m) || / ok$/.test(m) || /^network_type:(wifi|edge|wwan)$/.test(m)) return "ok";
    if (/:cancel$/.test(m)) return "cancel";
    return "fail";
  }
  var GLYPH = { ok: "✓", fail: "✗", cancel: "cancelled", pending: "…", note: "·" };

  /** Why a call failed, in plain words: the app's verification, the payment's reason, the
   * config diagnosis with the expected string1 (ticket masked) and what to change. */
  function reasons(e) {
    // The most telling first: the diagnosis says what to change, where the refusal itself
    // ("invalid signature") only repeats the errMsg.
    var out = [];
    var r = e.reason || {};
    if (/auth deny$/.test(String(e.result && e.result.err_msg))) {
      var kind = e.api === "startRecord" ? "microphone" : "location";
      out.push("the person denied the " + kind + " permission: POST /__wxjs/settings {\"permissions\":{\"" + kind + "\":\"allow\"}} allows it again");
    }
    if (r.payment) out.push(r.payment);
    if (r.why) out.push(r.why);
    if (r.diagnosis && r.diagnosis.findings) {
      r.diagnosis.findings.forEach(function (f) {
        out.push(f.message);
      });
    }
    if (e.verification && e.verification !== "ok" && e.verification !== "n/a") out.push(e.verification);
    if (r.expectedString1) out.push("expected string1: " + r.expectedString1);
    if (r.checkedUrl) out.push("the URL the app checked: " + r.checkedUrl);
    return out;
  }

  /** The calls of these page sessions after call `after`, oldest first. */
  function fetchLog(sessions, after) {
    return window
      .fetch("/__wxjs/log?session=" + encodeURIComponent(sessions.join(",")) + "&after=" + after)
      .then(function (r) {
        return r.ok ? r.json() : [];
      });
  }

  function entryText(e) {
    var lines = [e.api + " (" + e.name + ") " + GLYPH[outcome(e)]];
    lines.push("params " + JSON.stringify(e.params));
    lines.push("result " + JSON.stringify(e.result));
    reasons(e).forEach(function (r) {
      lines.push("why: " + r);
    });
    return lines.join("\n");
  }

  /** JSON, indented, with lists of plain values (a jsApiList) kept on one line. */
  function pretty(v, indent) {
    if (Array.isArray(v)) {
      if (v.every(function (x) { return x === null || typeof x !== "object"; })) return JSON.stringify(v);
      return "[\n" + v.map(function (x) { return indent + "  " + pretty(x, indent + "  "); }).join(",\n") + "\n" + indent + "]";
    }
    if (v && typeof v === "object") {
      var keys = Object.keys(v);
      if (!keys.length) return "{}";
      return "{\n" + keys.map(function (k) { return indent + "  " + JSON.stringify(k) + ": " + pretty(v[k], indent + "  "); }).join(",\n") + "\n" + indent + "}";
    }
    return v === undefined ? "null" : JSON.stringify(v);
  }

  function renderConsole() {
    if (!consoleState.open || !root) return;
    var panel = root.querySelector("[data-console]");
    if (!panel) return;
    var list = panel.querySelector("[data-console-list]");
    var q = consoleState.filter.toLowerCase();
    var shown = consoleState.entries
      .slice()
      .reverse()
      .filter(function (e) {
        return !q || (e.api + " " + e.name + " " + outcome(e) + " " + JSON.stringify(e.reason || "") + " " + e.verification).toLowerCase().indexOf(q) !== -1;
      });
    list.textContent = "";
    panel.querySelector("[data-console-count]").textContent = shown.length + " / " + consoleState.entries.length;
    if (!shown.length) list.appendChild(el("div", { class: "c-empty", text: consoleState.entries.length ? "no call matches the filter" : "no JS-SDK call yet" }));
    shown.forEach(function (e) {
      var kind = outcome(e);
      var open = consoleState.expanded[e.id];
      var why = reasons(e);
      var line = el("div", { class: "c-line " + kind, "data-console-entry": e.api, "data-outcome": kind }, [
        el("button", {
          class: "c-head",
          "aria-expanded": open ? "true" : "false",
          onclick: function () {
            consoleState.expanded[e.id] = !consoleState.expanded[e.id];
            renderConsole();
          }
        }, [
          el("span", { class: "c-time", text: e.at ? new Date(e.at).toTimeString().slice(0, 8) : "" }),
          el("span", { class: "c-api", text: e.api }),
          el("span", { class: "c-mark", text: GLYPH[kind] })
        ]),
        // A failure's reason; for a call WeChat answers as done though it refused part of it
        // (an empty chooseCard for a wrong cardSign, addCard's refused cards), the refusal.
        why.length && !open && kind !== "note" ? el("div", { class: "c-why" + (kind === "fail" ? "" : " c-warn"), "data-console-why": "", text: why[0] }) : null
      ]);
      if (open) {
        // Why first (it is what the line was opened for), then what the page got and sent.
        var detail = el("div", { class: "c-detail", "data-console-detail": "" });
        if (why.length) {
          detail.appendChild(el("div", { class: "c-k", text: "why" }));
          why.forEach(function (w) {
            detail.appendChild(el("pre", { class: "c-v c-reason", text: w }));
          });
        }
        [["result", e.result], ["params", e.params]].forEach(function (kv) {
          detail.appendChild(el("div", { class: "c-k", text: kv[0] }));
          detail.appendChild(el("pre", { class: "c-v", text: pretty(kv[1], "") }));
        });
        line.appendChild(detail);
      }
      list.appendChild(line);
    });
  }

  function refreshConsole() {
    var sessions = tabSessions();
    if (!sessions.length) {
      consoleState.entries = [];
      renderConsole();
      return Promise.resolve();
    }
    return fetchLog(sessions, consoleState.clearedAfter).then(function (entries) {
      consoleState.entries = entries;
      // Drawn again only when a call came or finished: a selection or focus in the list stays.
      var sig = entries.map(function (e) { return e.id + ":" + (e.result ? JSON.stringify(e.result).length : 0); }).join(",");
      if (sig === consoleState.sig) return;
      consoleState.sig = sig;
      renderConsole();
    });
  }

  function closeConsole() {
    consoleState.open = false;
    if (consoleState.timer) clearInterval(consoleState.timer);
    consoleState.timer = null;
    var panel = root && root.querySelector("[data-console]");
    if (panel) panel.remove();
  }

  function showConsole() {
    mount();
    var shown = root.querySelector("[data-toast]");
    if (shown) shown.remove();
    if (consoleState.open) return refreshConsole();
    consoleState.open = true;
    var filter = el("input", { type: "search", placeholder: "filter: api, ✗, reason…", "data-console-filter": "", "aria-label": "filter" });
    filter.addEventListener("input", function () {
      consoleState.filter = filter.value;
      renderConsole();
    });
    var panel = el("aside", { class: "console" + (consoleState.docked ? " docked" : ""), "data-console": "", role: consoleState.docked ? "region" : "dialog", "aria-label": "JS-SDK console" }, [
      el("div", { class: "c-top" }, [
        el("b", { text: "JS-SDK 调试 · console" }),
        el("span", { class: "c-count", "data-console-count": "" }),
        el("button", { text: "复制 copy", "data-console-copy": "", onclick: copyConsole }),
        el("button", {
          text: "清除 clear",
          "data-console-clear": "",
          onclick: function () {
            var last = consoleState.entries.length ? consoleState.entries[consoleState.entries.length - 1].id : consoleState.clearedAfter;
            consoleState.clearedAfter = last;
            try {
              window.sessionStorage.setItem(TAB_KEY + "_cleared", String(last));
            } catch (e) {
              /* kept for this page only */
            }
            consoleState.entries = [];
            renderConsole();
          }
        }),
        consoleState.docked ? null : el("button", { text: "✕", title: "close (Esc)", "data-console-close": "", onclick: closeConsole })
      ]),
      filter,
      el("div", { class: "c-list", "data-console-list": "" })
    ]);
    root.appendChild(panel);
    refreshConsole();
    consoleState.timer = setInterval(refreshConsole, 1000);
  }

  function copyConsole() {
    copyText(consoleState.entries.slice().reverse().map(entryText).join("\n\n"), function () {
      var b = root.querySelector("[data-console-copy]");
      if (b) b.textContent = "copied ✓";
      setTimeout(function () {
        if (b) b.textContent = "复制 copy";
      }, 1500);
    });
  }

  /** Puts `text` on the clipboard (the async API, else the old command), then `done`. */
  function copyText(text, done) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {
        fallbackCopy(text);
        done();
      });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var area = el("textarea", {});
    area.value = text;
    root.appendChild(area);
    area.select();
    try {
      document.execCommand("copy");
    } catch (e) {
      /* nothing more to try */
    }
    area.remove();
  }

  // Esc closes what is on top: the console, else the topmost sheet (as its 取消 would).
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape" || !root) return;
    if (consoleState.open && !consoleState.docked) return closeConsole();
    var masks = root.querySelectorAll(".mask");
    if (masks.length) masks[masks.length - 1].__dismiss();
  });

  /** After each call: the browser's own console gets a collapsed group (never an error of the
   * emulator's own), and a failure shows a toast naming the reason where the developer looks. */
  function reportCall(id, name, params, result) {
    var kind = outcome({ result: result });
    var find = id
      ? fetchLog([session], id - 1).then(function (entries) {
          return entries.filter(function (e) {
            return e.id === id;
          })[0];
        })
      : Promise.resolve(null);
    find
      .then(function (e) {
        var api = (e && e.api) || name;
        var why = e ? reasons(e) : [];
        var c = window.console;
        if (c && c.groupCollapsed) {
          var colour = kind === "ok" ? "#067d3a" : kind === "fail" ? "#c4161c" : "#595959";
          c.groupCollapsed("%cwx." + api + " " + GLYPH[kind], "color:" + colour + ";font-weight:bold");
          c.log("params", params);
          c.log("result", result);
          why.forEach(function (w) {
            c.log("why: " + w);
          });
          c.groupEnd();
        }
        // With the console open the failure is its top line already.
        if ((kind === "fail" || (kind === "ok" && why.length)) && !consoleState.open) toast(api + " — " + (why[0] || String((result && result.err_msg) || "fail")));
        if (consoleState.open) refreshConsole();
      })
      .catch(function () {
        /* the phone origin is gone: nothing to report */
      });
  }

  /** A short message: a failure's reason at the bottom, or what the app confirms in the middle
   * (`kind` "ok": 已发送, 支付成功). */
  function toast(text, kind) {
    mount();
    var old = root.querySelector("[data-toast]");
    if (old) old.remove();
    // Never in the way: a toast lets taps through to the page under it (the console is the
    // 调试 button).
    var t = el("div", { class: "toast" + (kind === "ok" ? " done" : ""), "data-toast": kind || "fail", role: "status", text: (kind === "ok" ? "✓ " : "") + text });
    root.appendChild(t);
    setTimeout(function () {
      t.remove();
    }, kind ? 2000 : 5000);
  }
