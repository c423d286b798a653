// The pipeline board: columns that load more cards as they scroll, and cards moved to
// another stage by mouse (HTML5 drag and drop) or keyboard (Space to pick a card up,
// Left/Right to choose a stage, Space/Enter to drop it, Escape to cancel). A move is
// saved at once (POST /deals/<id>/move); on a refusal the card goes back.
(function () {
  "use strict";
  var filters = document.getElementById("board-filters");
  if (filters) {
    filters.addEventListener("change", function () { filters.submit(); });
  }
  var board = document.getElementById("board");
  if (!board || !window.dealbase) { return; }
  var errorBox = document.getElementById("board-error");

  function columns() { return Array.prototype.slice.call(board.querySelectorAll(".board-column")); }
  function columnOf(stageId) {
    return board.querySelector('.board-column[data-stage-id="' + String(stageId) + '"]');
  }
  function showError(text) {
    if (!errorBox) { return; }
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
    if (text) { window.dealbase.announce(text); }
  }
  function fromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }
  function titleOf(card) {
    var link = card.querySelector(".deal-title");
    return link ? link.textContent.trim() : "The deal";
  }

  // ---- columns load their next cards lazily ------------------------------------------
  var observer = null;
  function observe(root) {
    if (!observer) { return; }
    Array.prototype.forEach.call((root || board).querySelectorAll(".board-more"), function (item) {
      observer.observe(item);
    });
  }
  async function loadMore(link) {
    if (link.getAttribute("data-loading")) { return; }
    link.setAttribute("data-loading", "1");
    link.textContent = "Loading…";
    var item = link.closest(".board-more");
    var list = item.parentNode;
    try {
      var content = fromHtml(await window.dealbase.fragment(link.getAttribute("href")));
      Array.prototype.forEach.call(content.querySelectorAll(".deal-card"), function (card) {
        // a card moved here meanwhile is shown once
        if (list.querySelector('.deal-card[data-deal-id="' + card.getAttribute("data-deal-id") + '"]')) {
          card.remove();
        }
      });
      if (observer) { observer.unobserve(item); }
      item.replaceWith(content);
      observe(list);
    } catch (err) {
      link.removeAttribute("data-loading");
      link.textContent = "Load more";
      showError("More deals could not be loaded: " + err.message);
    }
  }
  if ("IntersectionObserver" in window) {
    observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) { return; }
        var link = entry.target.querySelector("a[data-more]");
        if (link) { loadMore(link); }
      });
    }, {rootMargin: "0px 0px 300px 0px"});
    observe(board);
  }
  board.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-more]");
    if (link) {
      event.preventDefault();
      loadMore(link);
    }
  });

  // ---- column totals: asked for once the cards are painted, and after a move ------------
  var totalsAsked = 0;
  async function loadTotals(stageIds) {
    var url = board.getAttribute("data-totals");
    if (!url) { return; }
    (stageIds || []).forEach(function (id) { url += "&stage=" + encodeURIComponent(id); });
    var asked = ++totalsAsked;
    try {
      var response = await fetch(url, {credentials: "same-origin",
                                       headers: {"Accept": "application/json"}});
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      var answer = await response.json();
      Object.keys(answer).forEach(function (stageId) {
        var box = document.getElementById("totals-" + stageId);
        // (an answer to an older question never replaces a newer one's)
        if (box && Number(box.getAttribute("data-asked") || 0) <= asked) {
          box.setAttribute("data-asked", String(asked));
          box.replaceChildren(fromHtml(answer[stageId].html));
        }
      });
      board.setAttribute("data-totals-loaded", String(asked));
    } catch (err) {
      showError("The column totals could not be loaded: " + err.message);
    }
  }
  loadTotals(null);

  // ---- moving a card ----------------------------------------------------------------
  function mark(column) {
    columns().forEach(function (c) { c.classList.toggle("drop-target", c === column); });
  }
  async function move(card, column) {
    var from = card.closest(".board-column");
    if (!column || column === from) { return; }
    var list = card.parentNode;
    var next = card.nextElementSibling;
    var target = column.querySelector(".board-cards");
    target.insertBefore(card, target.firstChild);
    card.classList.add("saving");
    card.focus();
    showError("");
    var title = titleOf(card);
    try {
      var answer = await window.dealbase.send("/deals/" + card.getAttribute("data-deal-id") + "/move", {
        stage_id: Number(column.getAttribute("data-stage-id")),
        owner: board.getAttribute("data-owner"),
        status: board.getAttribute("data-status"),
        filter: board.getAttribute("data-filter")
      });
      var fresh = fromHtml(answer.card).firstElementChild;
      card.replaceWith(fresh);
      loadTotals([answer.from_stage_id, answer.stage_id]);
      if (!columnOf(answer.stage_id)) {
        fresh.remove();
      } else {
        fresh.focus();
      }
      window.dealbase.announce(title + " moved to " + column.getAttribute("data-stage-name") + ".");
    } catch (err) {
      card.classList.remove("saving");
      list.insertBefore(card, next && next.parentNode === list ? next : null);
      card.focus();
      showError(title + " was not moved: " + err.message);
    }
  }

  // by mouse
  var dragged = null;
  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card");
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal-id"));
  });
  board.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    mark(null);
  });
  board.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest(".board-column");
    if (!column) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    mark(column);
  });
  board.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest(".board-column");
    if (!column) { return; }
    event.preventDefault();
    var card = dragged;
    dragged = null;
    card.classList.remove("dragging");
    mark(null);
    move(card, column);
  });

  // by keyboard
  var picked = null;
  var choice = 0;
  function pickUp(card) {
    picked = card;
    choice = columns().indexOf(card.closest(".board-column"));
    card.classList.add("picked");
    card.setAttribute("aria-grabbed", "true");
    mark(columns()[choice]);
    window.dealbase.announce(titleOf(card) + " picked up, in " +
      columns()[choice].getAttribute("data-stage-name") +
      ". Left and Right arrows choose a stage, Space drops it, Escape cancels.");
  }
  function putDown() {
    if (!picked) { return; }
    picked.classList.remove("picked");
    picked.removeAttribute("aria-grabbed");
    picked = null;
    mark(null);
  }
  board.addEventListener("keydown", function (event) {
    var card = event.target;
    if (!card.classList || !card.classList.contains("deal-card")) { return; }
    var key = event.key;
    if (!picked) {
      if (key === " " || key === "Spacebar") {
        event.preventDefault();
        pickUp(card);
      } else if (key === "Enter") {
        var link = card.querySelector(".deal-title");
        if (link) { link.click(); }
      } else if (key === "ArrowDown" || key === "ArrowUp") {
        var sibling = key === "ArrowDown" ? card.nextElementSibling : card.previousElementSibling;
        if (sibling && sibling.classList.contains("deal-card")) {
          event.preventDefault();
          sibling.focus();
        }
      }
      return;
    }
    if (card !== picked) { return; }
    var all = columns();
    if (key === "ArrowLeft" || key === "ArrowRight") {
      event.preventDefault();
      choice = Math.max(0, Math.min(all.length - 1, choice + (key === "ArrowRight" ? 1 : -1)));
      mark(all[choice]);
      all[choice].scrollIntoView({block: "nearest", inline: "nearest"});
      var here = all[choice] === card.closest(".board-column") ? " (where it is)" : "";
      window.dealbase.announce(all[choice].getAttribute("data-stage-name") + here);
    } else if (key === " " || key === "Spacebar" || key === "Enter") {
      event.preventDefault();
      var target = all[choice];
      putDown();
      if (target === card.closest(".board-column")) {
        window.dealbase.announce(titleOf(card) + " stays in " + target.getAttribute("data-stage-name") + ".");
      } else {
        move(card, target);
      }
    } else if (key === "Escape") {
      event.preventDefault();
      putDown();
      window.dealbase.announce("Move cancelled.");
    }
  });
  board.addEventListener("focusout", function (event) {
    if (picked && event.target === picked) {
      putDown();
      window.dealbase.announce("Move cancelled.");
    }
  });
})();
