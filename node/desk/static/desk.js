// The desk's small helpers; every page works without them (forms post, links link).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) { el.form.submit(); }
  });
  // A form with data-confirm asks first: the text says what followers will see.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { ev.preventDefault(); }
  });
  window.desk = {
    csrf: function () {
      var m = document.querySelector('meta[name="csrf-token"]');
      return m ? m.content : "";
    }
  };
})();
