// dealbase: what every page shares. `dealbase.send(url, data)` posts JSON with the
// session's CSRF token (from <meta name=csrf-token>) and returns the parsed answer;
// a refused request rejects with {status, error, field}.
(function () {
  "use strict";
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  async function send(url, data, method) {
    var response = await fetch(url, {
      method: method || "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRF-Token": csrf()},
      body: JSON.stringify(data || {})
    });
    var body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      var err = new Error((body && body.error) || ("HTTP " + response.status));
      err.status = response.status;
      err.field = body && body.field;
      throw err;
    }
    return body;
  }
  async function fragment(url) {
    var response = await fetch(url, {credentials: "same-origin",
                                      headers: {"X-Fragment": "1"}});
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    return response.text();
  }
  function announce(text) {
    var live = document.getElementById("live");
    if (!live) {
      live = document.createElement("div");
      live.id = "live";
      live.className = "visually-hidden";
      live.setAttribute("aria-live", "polite");
      document.body.appendChild(live);
    }
    live.textContent = text;
  }
  window.dealbase = {csrf: csrf, send: send, fragment: fragment, announce: announce};
})();
