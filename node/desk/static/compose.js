// Compose: a live preview of the body, rendered by the server with the renderer publishing uses, and of the
// Mastodon card (headline and summary as text). Without JavaScript, "Save and preview" shows the same thing.
(function () {
  "use strict";
  var body = document.querySelector("textarea[data-preview]");
  if (!body || !window.fetch) { return; }
  var target = document.querySelector(body.getAttribute("data-preview"));
  var timer = null;
  function refresh() {
    var data = new URLSearchParams();
    data.set("body", body.value);
    data.set("body_format", body.getAttribute("data-format") || "markdown");
    ["headline", "summary"].forEach(function (name) {
      var field = document.getElementById(name);
      if (field) { data.set(name, field.value); }
    });
    fetch("/desk/preview", {method: "POST", body: data, credentials: "same-origin",
                            headers: {"X-CSRF-Token": window.desk.csrf(), "Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (doc) {
        if (!doc) { return; }
        if (target) { target.innerHTML = doc.html; }  // sanitized by the server
        var matches = document.getElementById("factcheck-matches");
        if (matches && doc.factchecks_html) { matches.innerHTML = doc.factchecks_html; }  // an escaped template
      })
      .catch(function () {});
  }
  ["body", "headline", "summary"].forEach(function (name) {
    var field = document.getElementById(name);
    if (field) { field.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 400); }); }
  });
  // The card's text follows the fields (textContent: what the editor typed stays text).
  [["#headline", ".mastodon .card-title"], ["#summary", ".mastodon .card-summary"]].forEach(function (pair) {
    var field = document.querySelector(pair[0]);
    if (!field) { return; }
    field.addEventListener("input", function () {
      var shown = document.querySelector(pair[1]);
      if (!shown && pair[1].indexOf("summary") > 0) {
        shown = document.createElement("p");
        shown.className = "card-summary";
        var title = document.querySelector(".mastodon .card-title");
        if (title) { title.insertAdjacentElement("afterend", shown); }
      }
      if (shown) { shown.textContent = field.value; }
    });
  });
})();

// Upload: with JavaScript the chosen file goes to the stock through the editor API (POST /api/media, streamed,
// any size the stock accepts, the session's CSRF token in X-CSRF-Token), and the form then names it by its
// SHA-256. Without JavaScript the form posts the file itself (small files only: the desk's form size limit).
(function () {
  "use strict";
  var input = document.getElementById("upload");
  if (!input || !window.fetch || !window.FormData) { return; }
  var form = input.form;
  var status = document.getElementById("upload-status");
  function say(text) { if (status) { status.textContent = text; } }
  form.addEventListener("submit", function (ev) {
    if (!input.files || !input.files.length) { return; }
    ev.preventDefault();
    var file = input.files[0];
    var alt = document.getElementById("upload_alt").value.trim();
    if (/^image\//.test(file.type) && !alt) {
      say(status.getAttribute("data-need-alt"));
      document.getElementById("upload_alt").focus();
      return;
    }
    var action = ev.submitter && ev.submitter.name === "action" ? ev.submitter.value : "save";
    var data = new FormData();
    data.set("language", document.getElementById("language").value);
    if (alt) { data.set("alt", alt); }
    var caption = document.getElementById("upload_caption").value.trim();
    if (caption) { data.set("caption", caption); }
    data.set("file", file, file.name);  // the fields first: the stock refuses fields after the file
    say(status.getAttribute("data-sending"));
    fetch("/api/media", {method: "POST", body: data, credentials: "same-origin",
                         headers: {"X-CSRF-Token": window.desk.csrf(), "Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (doc) { return [r.status, doc]; }); })
      .then(function (res) {
        if (res[0] !== 200 && res[0] !== 201) { say(res[1].detail || res[1].title || String(res[0])); return; }
        var hidden = function (name, value) {
          var el = document.createElement("input");
          el.type = "hidden"; el.name = name; el.value = value; form.appendChild(el);
        };
        hidden("uploaded", res[1].id);
        hidden("action", action);
        input.value = "";
        form.submit();
      })
      .catch(function () { say(status.getAttribute("data-failed")); });
  });
})();
