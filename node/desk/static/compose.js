// Compose: a live preview of the Markdown body, rendered by the server with the renderer publishing uses.
// Without JavaScript, "Save and preview" shows the same thing.
(function () {
  "use strict";
  var body = document.querySelector("textarea[data-preview]");
  if (!body || !window.fetch) { return; }
  var target = document.querySelector(body.getAttribute("data-preview"));
  var timer = null;
  function refresh() {
    var data = new URLSearchParams();
    data.set("body", body.value);
    fetch("/desk/preview", {method: "POST", body: data, credentials: "same-origin",
                            headers: {"X-CSRF-Token": window.desk.csrf(), "Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (doc) { if (doc && target) { target.innerHTML = doc.html; } })  // sanitized by the server
      .catch(function () {});
  }
  body.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 400); });
})();
