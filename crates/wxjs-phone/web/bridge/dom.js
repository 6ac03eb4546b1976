  // ==== dom: the element helper and the JSON post, shared by the bridge and the device view ====
  /** An element with attributes (`text`: its text, `onclick`: a click handler) and children. */
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "onclick") e.addEventListener("click", attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) {
      if (c) e.appendChild(c);
    });
    return e;
  }

  // Posts JSON to the phone origin. Answers without a JSON body (204) give null: parsing them
  // would put the emulator's own errors in the page's console.
  function post(path, body) {
    return window
      .fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) {
        var type = r.headers.get("Content-Type") || "";
        return r.status !== 204 && type.indexOf("application/json") === 0 ? r.json() : null;
      });
  }
