  // ==== devices: microphone and speaker (a generated tone stands in for the microphone) =====
  // ---- voice: a generated tone stands in for the microphone, so runs are reproducible ---------
  var recording = null;
  var voices = {};

  /** A WAV of a 440 Hz tone, 8 kHz 16-bit mono, as base64. */
  function toneWav(ms) {
    var rate = 8000;
    var n = Math.max(1, Math.round(rate * ms / 1000));
    var buf = new ArrayBuffer(44 + n * 2);
    var v = new DataView(buf);
    var str = function (at, t) { for (var i = 0; i < t.length; i++) v.setUint8(at + i, t.charCodeAt(i)); };
    str(0, "RIFF"); v.setUint32(4, 36 + n * 2, true); str(8, "WAVE"); str(12, "fmt ");
    v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true); v.setUint32(24, rate, true);
    v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true); str(36, "data"); v.setUint32(40, n * 2, true);
    for (var i = 0; i < n; i++) v.setInt16(44 + i * 2, Math.round(Math.sin(2 * Math.PI * 440 * i / rate) * 9000), true);
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var j = 0; j < bytes.length; j += 8192) bin += String.fromCharCode.apply(null, bytes.subarray(j, j + 8192));
    return btoa(bin);
  }

  function toBase64(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var j = 0; j < bytes.length; j += 8192) bin += String.fromCharCode.apply(null, bytes.subarray(j, j + 8192));
    return btoa(bin);
  }

  /** The app's recording indicator: a red dot and the time recorded, while it records. */
  function recordingIndicator(r) {
    mount();
    var time = el("span", { text: "0:00" });
    var box = el("div", { class: "recording", "data-recording": "", role: "status" }, [
      el("span", { class: "dot" }), el("span", { text: "录音中 " }), time
    ]);
    root.appendChild(box);
    r.tick = setInterval(function () {
      var sec = Math.floor((Date.now() - r.start) / 1000);
      time.textContent = Math.floor(sec / 60) + ":" + ("0" + (sec % 60)).slice(-2);
    }, 250);
    r.indicator = box;
  }

  function finishRecording() {
    var r = recording;
    recording = null;
    clearTimeout(r.timer);
    clearInterval(r.tick);
    if (r.indicator) r.indicator.remove();
    var ms = Math.min(Date.now() - r.start, CONFIG.recordLimitMs || 60000);
    var save = function (base64) {
      return post("/__wxjs/voice", { base64: base64 }).then(function (res) { return res.localId; });
    };
    if (!r.rec) return save(toneWav(ms));
    // The microphone's recording (MediaRecorder, WebM/Opus in Chromium).
    return new Promise(function (resolve) {
      r.rec.onstop = function () {
        r.stream.getTracks().forEach(function (t) { t.stop(); });
        new Blob(r.chunks, { type: r.rec.mimeType }).arrayBuffer().then(function (buf) {
          save(toBase64(buf)).then(resolve);
        });
      };
      r.rec.stop();
    });
  }

  /** Starts recording from the microphone, or — when there is none — a generated tone. */
  function beginRecording() {
    recording = { start: Date.now(), chunks: [] };
    var r = recording;
    recordingIndicator(r);
    r.timer = setTimeout(function () {
      // WeChat stops a recording at 60 s and tells the page.
      if (recording !== r) return;
      finishRecording().then(function (localId) {
        if (handlers.onVoiceRecordEnd) handlers.onVoiceRecordEnd({ localId: localId });
      });
    }, CONFIG.recordLimitMs || 60000);
    var canRecord = CONFIG.microphone !== false && window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
    if (!canRecord) return Promise.resolve();
    return navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      r.stream = stream;
      r.rec = new MediaRecorder(stream);
      r.rec.ondataavailable = function (e) { if (e.data && e.data.size) r.chunks.push(e.data); };
      r.rec.start(100);
    }, function () {
      /* no microphone, or no permission: the generated tone */
    });
  }

  function voice(localId) {
    if (!voices[localId]) {
      var audio = new Audio(localId);
      audio.addEventListener("ended", function () {
        audio.__fakeEnd = null;
        if (handlers.onVoicePlayEnd) handlers.onVoicePlayEnd({ localId: localId });
      });
      voices[localId] = audio;
    }
    return voices[localId];
  }

  /** Stops a voice where it is; a stand-in end (see playVoice) is called off with it. */
  function haltVoice(a) {
    if (a.__fakeEnd) {
      clearTimeout(a.__fakeEnd);
      a.__fakeEnd = null;
    }
    a.pause();
  }

  function translateSheet(automated) {
    return new Promise(function (resolve) {
      var done = function (text) {
        delete openPrompts.translateVoice;
        if (mask) mask.remove();
        resolve(text === null ? { err_msg: "translateVoice:cancel" } : { err_msg: "translateVoice:ok", translateResult: text });
      };
      if (automated) {
        resolve(automated.action === "ok" ? { err_msg: "translateVoice:ok", translateResult: String((automated.data || {}).text || "") } : { err_msg: "translateVoice:" + automated.action });
        return;
      }
      var input = el("input", { type: "text", placeholder: "what the voice says", "data-text": "" });
      var mask = overlay(el("div", { class: "sheet", "data-translate": "" }, [
        el("b", { text: "识别语音: type what was said" }), input,
        el("div", { class: "actions" }, [
          el("button", { text: "取消", "data-cancel": "", onclick: function () { done(null); } }),
          el("button", { class: "ok", text: "确定", "data-send": "", onclick: function () { done(input.value); } })
        ])
      ]), function () { done(null); });
      openPrompts.translateVoice = function (action, answer) { done(action === "ok" ? String(((answer && answer.data) || {}).text || "") : null); };
    });
  }

