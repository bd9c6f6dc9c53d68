// The wire's live page: new stories arrive by server-sent events (the server renders each row and checks it
// against this page's filters) and go to the top of the list; flash and urgent ones can raise a notification.
// Without JavaScript the page is a plain list that a reload brings up to date.
(function () {
  "use strict";
  var bar = document.querySelector(".live-bar[data-live]");
  var list = document.getElementById("wire-list");
  if (!bar || !list || !window.EventSource) { return; }
  var button = document.getElementById("notify-button");

  function insert(html, thread, kind) {
    var holder = document.createElement("ol");
    holder.innerHTML = html;  // rendered and escaped by the server's templates
    var row = holder.firstElementChild;
    if (!row) { return; }
    var old = list.querySelector('li.wire-item[data-thread="' + CSS.escape(thread) + '"]');
    if (old && kind !== "stored") {
      list.replaceChild(row, old);  // a new version of a story on the page: it stays where it is
    } else {
      if (old) { old.remove(); }  // a rewrite of a thread on the page: the thread moves up
      list.insertBefore(row, list.firstChild);
    }
    row.classList.add("arrived");
    var empty = document.getElementById("wire-empty");
    if (empty) { empty.remove(); }
  }

  function notify(data) {
    if (!data.alert || !("Notification" in window) || Notification.permission !== "granted") { return; }
    var n = new Notification(data.agency + ": " + data.headline, {tag: "wire-" + data.id});
    n.onclick = function () { window.focus(); location.href = "/desk/wire/" + data.id; };
  }

  function reload() {
    fetch(bar.getAttribute("data-rows"), {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html === null) { return; }
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector("#wire-list");
      if (fresh) { list.replaceWith(fresh); list = fresh; }
    });
  }

  var source = new EventSource(bar.getAttribute("data-live"));
  source.addEventListener("story", function (ev) {
    var data = JSON.parse(ev.data);
    insert(data.html, data.thread, data.kind);
    notify(data);
  });
  source.addEventListener("gone", function (ev) {
    var data = JSON.parse(ev.data);
    var row = document.getElementById("story-" + data.id);
    if (row) { row.remove(); }
  });
  source.addEventListener("resync", reload);
  source.addEventListener("logout", function () { source.close(); });
  source.addEventListener("open", function () { bar.setAttribute("data-connected", "1"); });

  if (button && "Notification" in window && Notification.permission === "default") {
    button.hidden = false;
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  }
})();
