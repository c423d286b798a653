// dealbase: record pages and lists. Fields are edited in place (click a value, or its
// "Edit" button with the mouse or the keyboard; Enter saves, Escape cancels); notes and activities
// are added and activities marked done without leaving the page; "Older" loads more of
// the timeline. Without this script every form still posts and the page reloads.
(function () {
  "use strict";
  var db = window.dealbase;

  function optionsOf(key, multiple, current) {
    var select = document.createElement("select");
    if (multiple) { select.multiple = true; select.size = 5; }
    else {
      var blank = document.createElement("option");
      blank.value = ""; blank.textContent = "—";
      select.appendChild(blank);
    }
    var template = document.getElementById("opt-" + key);
    var chosen = multiple ? current.split(",").map(function (s) { return s.trim(); }) : [current];
    var groups = {};
    if (template) {
      Array.prototype.forEach.call(template.content.querySelectorAll("option"), function (o) {
        var option = o.cloneNode(true);
        option.selected = chosen.indexOf(option.value) >= 0;
        var group = option.getAttribute("data-group");
        if (group) {
          if (!groups[group]) {
            groups[group] = document.createElement("optgroup");
            groups[group].label = group;
            select.appendChild(groups[group]);
          }
          groups[group].appendChild(option);
        } else {
          select.appendChild(option);
        }
      });
    }
    return select;
  }

  function editorOf(box) {
    var kind = box.getAttribute("data-input");
    var current = box.getAttribute("data-current") || "";
    var input;
    if (kind === "select" || kind === "multi") {
      input = optionsOf(box.getAttribute("data-options"), kind === "multi", current);
    } else if (kind === "textarea") {
      input = document.createElement("textarea");
      input.rows = 4;
      input.value = current;
    } else {
      input = document.createElement("input");
      input.type = kind || "text";
      if (box.getAttribute("data-step")) { input.step = box.getAttribute("data-step"); }
      input.value = current;
    }
    input.className = "editor";
    input.setAttribute("aria-label", box.querySelector("dt").textContent);
    return input;
  }

  function valueOf(input) {
    if (input.multiple) {
      var picked = Array.prototype.filter.call(input.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
      return picked.length ? picked : null;
    }
    if (input.type === "number" && input.validity && input.validity.badInput) {
      return "not a number";
    }
    return input.value === "" ? null : input.value;
  }

  function open(box) {
    if (box.classList.contains("editing")) { return; }
    box.classList.add("editing");
    var dd = box.querySelector("dd");
    var input = editorOf(box);
    var form = document.createElement("form");
    form.className = "edit-form";
    var save = document.createElement("button");
    save.type = "submit"; save.className = "primary"; save.textContent = "Save";
    var cancel = document.createElement("button");
    cancel.type = "button"; cancel.textContent = "Cancel";
    form.appendChild(input); form.appendChild(save); form.appendChild(cancel);
    dd.insertBefore(form, dd.querySelector(".field-error"));
    input.focus();
    cancel.addEventListener("click", function () { close(box); });
    form.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); close(box); }
      if (e.key === "Enter" && input.tagName === "TEXTAREA" && !e.shiftKey) {
        e.preventDefault(); form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      submit(box, input, save);
    });
  }

  function close(box) {
    var form = box.querySelector(".edit-form");
    if (form) { form.remove(); }
    box.classList.remove("editing");
    box.querySelector(".field-error").textContent = "";
    var button = box.querySelector(".edit");
    if (button) { button.focus(); }
  }

  function withoutField(message, field) {
    var prefix = field + ": ";
    return message.indexOf(prefix) === 0 ? message.slice(prefix.length) : message;
  }

  async function submit(box, input, save) {
    var container = document.getElementById("fields");
    var name = box.getAttribute("data-field");
    var error = box.querySelector(".field-error");
    save.disabled = true;
    try {
      var answer = await db.send(container.getAttribute("data-url"),
                                 {field: name, value: valueOf(input)});
      container.innerHTML = answer.html;
      var head = document.getElementById("record-head");
      if (head && answer.head) { head.innerHTML = answer.head; }
      var again = document.getElementById("field-" + name);
      var details = again && again.closest("details");
      if (details) { details.open = true; }
      var button = again && again.querySelector(".edit");
      if (button) { button.focus(); }
      db.announce("Saved");
      refreshTimeline();
    } catch (err) {
      save.disabled = false;
      error.textContent = withoutField(err.message, err.field || name);
      db.announce(error.textContent);
      input.focus();
    }
  }

  async function refreshTimeline() {
    var items = document.getElementById("timeline-items");
    if (!items) { return; }
    try {
      items.innerHTML = await db.fragment(items.getAttribute("data-url"));
    } catch (e) { /* the page still shows the older state */ }
  }

  // The fields and heading afresh (a note or an activity changes the record's counters).
  async function refreshFields() {
    var container = document.getElementById("fields");
    if (!container || container.querySelector(".editing")) { return; }
    try {
      var response = await fetch(container.getAttribute("data-url"), {
        credentials: "same-origin", headers: {"Accept": "application/json"}});
      if (!response.ok) { return; }
      var answer = await response.json();
      container.innerHTML = answer.html;
      var head = document.getElementById("record-head");
      if (head && answer.head) { head.innerHTML = answer.head; }
    } catch (e) { /* the page still shows the older state */ }
  }

  document.addEventListener("click", function (e) {
    var target = e.target;
    var box = target.closest && target.closest(".field.editable");
    if (box && !box.classList.contains("editing") &&
        (target.closest(".edit") || (target.closest(".value") && !target.closest("a")))) {
      e.preventDefault();
      open(box);
      return;
    }
    var older = target.closest && target.closest("a.js-older");
    if (older) {
      e.preventDefault();
      db.fragment(older.getAttribute("data-more")).then(function (text) {
        var holder = document.createElement("div");
        holder.innerHTML = text;
        var list = document.querySelector("#timeline-items ol.timeline");
        holder.querySelectorAll("ol.timeline > li.entry").forEach(function (li) {
          list.appendChild(li);
        });
        var paragraph = older.closest("p");
        var next = holder.querySelector("p.older");
        if (next) { paragraph.replaceWith(next); } else { paragraph.remove(); }
        db.announce("Older items loaded");
      }).catch(function () { window.location.href = older.href; });
    }
  });

  function formData(form) {
    var data = {};
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token" && key !== "next") { data[key] = value; }
    });
    return data;
  }

  document.addEventListener("submit", async function (e) {
    var form = e.target;
    if (form.classList.contains("js-add")) {
      e.preventDefault();
      var error = form.querySelector(".js-error");
      try {
        await db.send(form.getAttribute("action"), formData(form));
        error.textContent = "";
        var keep = form.querySelector('input[name="due_date"]');
        var day = keep ? keep.value : null;
        form.reset();
        if (keep) { keep.value = day; }
        db.announce("Saved");
        refreshTimeline();
        refreshFields();
      } catch (err) {
        error.textContent = err.message;
        db.announce(err.message);
      }
    } else if (form.classList.contains("js-done")) {
      e.preventDefault();
      var data = formData(form);
      try {
        await db.send(form.getAttribute("action"), data);
        var row = form.closest("tr");
        if (row) {
          var done = data.done !== "0";
          row.classList.toggle("done", done);
          form.querySelector('input[name="done"]').value = done ? "0" : "1";
          var button = form.querySelector("button");
          button.textContent = done ? "✓" : "";
          button.setAttribute("aria-pressed", done ? "true" : "false");
          button.setAttribute("aria-label", done ? "Mark as not done" : "Mark as done");
          db.announce(done ? "Marked as done" : "Marked as not done");
        } else {
          db.announce("Marked as done");
          refreshTimeline();
          refreshFields();
        }
      } catch (err) {
        db.announce(err.message);
        window.alert(err.message);
      }
    }
  });

})();
