// Filters the action-item tracker by owner, team, status and overdue. Every page is complete
// without this script (owners' and teams' trackers, and the closed history, are pages of
// their own); the filters are kept in the URL so a filtered view can be shared. Choosing an
// owner or a team opens their tracker, and a closed status the closed list. The rows of the
// list reached are then filtered here, across all its pages: the other pages are fetched on
// demand, in order, only as far as needed to show the next 500 matching rows, and only those
// that have any (each page's counts by status are in `data-page-counts`). Rows are taken from
// those pages as the site built them: no text is turned into markup here.
(function () {
  "use strict";
  var form = document.getElementById("item-filters");
  if (!form) return;
  var el = form.elements;
  var table = document.getElementById("items");
  var tbody = table ? table.tBodies[0] : null;
  var rows = tbody ? Array.prototype.slice.call(tbody.rows) : [];
  var count = document.getElementById("item-count");
  var part = form.getAttribute("data-part");
  var base = form.getAttribute("data-base");
  // Every page of this list (absent when it has one page) and which one this is.
  var pages = (form.getAttribute("data-pages") || "").split(" ").filter(Boolean);
  var here = Math.max(0, Number(form.getAttribute("data-page") || "1") - 1);
  if (!pages.length) pages = [null];
  // Per page: open, in-progress, done, wont-do and overdue counts.
  var counts = (form.getAttribute("data-page-counts") || "").split(" ").filter(Boolean).map(function (c) {
    var n = c.split(",").map(Number);
    return { open: n[0], "in-progress": n[1], done: n[2], "wont-do": n[3], overdue: n[4] };
  });
  if (counts.length !== pages.length) counts = null;
  // How many rows of page `i` match (an upper bound when status and overdue are both chosen),
  // or -1 when the counts cannot tell (owner and team on an owner's or a team's page).
  function expected(i, f) {
    if (!counts || f.owner || f.team) return -1;
    var c = counts[i], n = c.open + c["in-progress"] + c.done + c["wont-do"];
    if (f.status === "pending") n = c.open + c["in-progress"];
    else if (f.status === "closed") n = c.done + c["wont-do"];
    else if (f.status) n = c[f.status] || 0;
    return f.overdue ? Math.min(n, c.overdue) : n;
  }
  var pager = document.querySelector(".pagination");
  var SHOW = 500;
  var loaded = new Map();
  var scan = { run: 0 };
  var more = document.createElement("button");
  more.type = "button";
  more.className = "search-more";
  more.textContent = "Show more matching items";
  more.hidden = true;
  if (table) table.parentNode.insertAdjacentElement("afterend", more);

  var params = new URLSearchParams(location.search);
  // Owner and team from the URL hold on an owner's or a team's page, which has no select.
  var fixed = { owner: params.get("owner") || "", team: params.get("team") || "" };
  ["owner", "team", "status"].forEach(function (name) {
    var v = params.get(name);
    if (v !== null && el[name]) el[name].value = v;
  });
  el.overdue.checked = params.get("overdue") === "1";
  var closed = { closed: true, done: true, "wont-do": true };
  function value(name) { return el[name] ? el[name].value : fixed[name]; }
  function query(skip) {
    var q = new URLSearchParams();
    ["owner", "team", "status"].forEach(function (name) {
      if (name !== skip && value(name)) q.set(name, value(name));
    });
    if (el.overdue.checked) q.set("overdue", "1");
    var s = q.toString();
    return s ? "?" + s : "";
  }
  function matches(d, f) {
    return (!f.owner || d.owner === f.owner) &&
      (!f.team || d.team === f.team) &&
      (!f.status || d.status === f.status ||
        (f.status === "pending" && (d.status === "open" || d.status === "in-progress")) ||
        (f.status === "closed" && (d.status === "done" || d.status === "wont-do"))) &&
      (!f.overdue || d.overdue === "1");
  }
  // The rows of page `i` of this list: this page's own, or another's, fetched once.
  function pageRows(i) {
    if (i === here || pages[i] === null) return Promise.resolve(rows);
    if (!loaded.has(i)) {
      loaded.set(i, fetch(pages[i]).then(function (r) {
        if (!r.ok) throw new Error(r.status + " " + pages[i]);
        return r.text();
      }).then(function (text) {
        // An inert document: nothing in it runs or loads.
        var doc = new DOMParser().parseFromString(text, "text/html");
        var t = doc.getElementById("items");
        return t ? Array.prototype.map.call(t.tBodies[0].rows, function (row) {
          return document.importNode(row, true);
        }) : [];
      }));
    }
    return loaded.get(i);
  }
  function say(s) { if (count.textContent !== s) count.textContent = s; }
  // Shows the next matching rows, reading pages from where the scan stopped.
  function step(s) {
    var added = 0;
    function next() {
      if (s.run !== scan.run) return null;
      while (s.page < pages.length && expected(s.page, s.f) === 0) s.page++;
      if (s.page >= pages.length || added >= SHOW) return finish();
      say("Searching page " + (s.page + 1) + " of " + pages.length + "…");
      return pageRows(s.page).then(function (list) {
        if (s.run !== scan.run) return null;
        list.forEach(function (row) {
          row.hidden = false;
          if (matches(row.dataset, s.f)) {
            tbody.appendChild(row);
            s.shown++;
            added++;
          }
        });
        s.page++;
        return next();
      }, function (e) {
        if (s.run === scan.run) say("Could not load the other pages of this list: " + e.message);
      });
    }
    function finish() {
      var all = s.page >= pages.length, total = 0;
      more.hidden = all;
      for (var i = 0; i < pages.length && total >= 0; i++) total = expected(i, s.f) < 0 ? -1 : total + expected(i, s.f);
      var what = s.shown + " matching item" + (s.shown === 1 ? "" : "s");
      if (all) say(what + (pages.length > 1 ? " in all " + pages.length + " pages" : ""));
      else if (total >= 0 && !(s.f.status && s.f.overdue)) say(s.shown + " of " + total + " matching items shown");
      else say(what + " so far (pages 1–" + s.page + " of " + pages.length + " searched)");
      return null;
    }
    return next();
  }
  // A link shared with filters for another page (`/action-items/?owner=ana`) is replaced by it.
  function go(url, loading) {
    if (loading) location.replace(url); else location.href = url;
  }
  function apply(loading) {
    var f = { owner: value("owner"), team: value("team"), status: el.status.value, overdue: el.overdue.checked };
    var want = part;
    if (f.overdue || (f.status && !closed[f.status])) want = "pending";
    else if (closed[f.status]) want = "closed";
    if (el.owner && (f.owner || f.team)) {
      // From the whole tracker to the owner's (else the team's) own tracker.
      var scope = f.owner ? base + "owners/" + encodeURIComponent(f.owner) + "/"
        : base + "teams/" + encodeURIComponent(f.team) + "/";
      go(scope + (want === "closed" ? "closed/" : "") + query(f.owner ? "owner" : "team"), loading);
      return;
    }
    if (want !== part) {
      go(form.getAttribute("data-" + want) + query(), loading);
      return;
    }
    history.replaceState(null, "", location.pathname + query());
    if (!tbody) return;
    var s = { run: ++scan.run, f: f, page: 0, shown: 0 };
    scan.current = s;
    tbody.textContent = "";
    if (!f.owner && !f.team && !f.status && !f.overdue) {
      // No filter: this page as built.
      rows.forEach(function (row) { row.hidden = false; tbody.appendChild(row); });
      more.hidden = true;
      if (pager) pager.hidden = false;
      say("");
      return;
    }
    if (pager) pager.hidden = pages.length > 1;
    step(s);
  }
  more.addEventListener("click", function () {
    var s = scan.current;
    if (!s) return;
    var first = tbody.rows.length;
    Promise.resolve(step(s)).then(function () {
      // Focus goes to the first row added (its first link), not to the page.
      var row = tbody.rows[first], link = row && row.querySelector("a");
      if (link) link.focus();
      else if (more.hidden) table.parentNode.focus();
    });
  });
  form.addEventListener("change", function () { apply(false); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.hidden = false;
  apply(true);
})();
