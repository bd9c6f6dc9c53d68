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
    fetch("/desk/preview", {method: "POST", body: data, credentials: "same-origin",
                            headers: {"X-CSRF-Token": window.desk.csrf(), "Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (doc) { if (doc && target) { target.innerHTML = doc.html; } })  // sanitized by the server
      .catch(function () {});
  }
  body.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 400); });
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
