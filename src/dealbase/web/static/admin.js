// dealbase admin pages: confirm destructive forms (data-confirm), copy a secret shown once
// (data-copy names the element holding it), show the options box only for field types
// that have options, and focus the field a refused form names.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var value = source.textContent;
    function done() {
      button.textContent = "Copied";
      if (window.dealbase) { window.dealbase.announce("Copied to the clipboard"); }
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(value).then(done, function () { select(source); });
    } else {
      select(source);
    }
  });

  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function syncOptions(select) {
    var kinds = (select.getAttribute("data-option-types") || "").split(" ");
    var box = select.form && select.form.querySelector("label.options");
    if (box) { box.hidden = kinds.indexOf(select.value) < 0; }
  }
  document.querySelectorAll("select[data-option-types]").forEach(function (select) {
    syncOptions(select);
    select.addEventListener("change", function () { syncOptions(select); });
  });

  var error = document.getElementById("admin-error");
  if (error) {
    var name = error.getAttribute("data-field");
    var input = name ? document.querySelector('.admin-body [name="' + name.replace(/"/g, "") + '"]') : null;
    if (input && input.type !== "hidden") { input.focus(); } else { error.setAttribute("tabindex", "-1"); error.focus(); }
  }
})();
