// Filters the action-item tracker by owner, team, status and overdue. Every page is complete
// without this script (owners' and teams' trackers, and the closed history, are pages of
// their own); the filters are kept in the URL so a filtered view can be shared. Choosing an
// owner or a team opens their tracker, and a closed status the closed list: the rows of the
// page reached are then filtered here.
(function () {
  "use strict";
  var form = document.getElementById("item-filters");
  if (!form) return;
  var el = form.elements;
  var table = document.getElementById("items");
  var rows = table ? Array.prototype.slice.call(table.tBodies[0].rows) : [];
  var count = document.getElementById("item-count");
  var part = form.getAttribute("data-part");
  var base = form.getAttribute("data-base");
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
  function matches(d, owner, team, status, overdue) {
    return (!owner || d.owner === owner) &&
      (!team || d.team === team) &&
      (!status || d.status === status ||
        (status === "pending" && (d.status === "open" || d.status === "in-progress")) ||
        (status === "closed" && (d.status === "done" || d.status === "wont-do"))) &&
      (!overdue || d.overdue === "1");
  }
  // A link shared with filters for another page (`/action-items/?owner=ana`) is replaced by it.
  function go(url, loading) {
    if (loading) location.replace(url); else location.href = url;
  }
  function apply(loading) {
    var owner = value("owner"), team = value("team");
    var status = el.status.value, overdue = el.overdue.checked;
    var want = part;
    if (overdue || (status && !closed[status])) want = "pending";
    else if (closed[status]) want = "closed";
    if (el.owner && (owner || team)) {
      // From the whole tracker to the owner's (else the team's) own tracker.
      var scope = owner ? base + "owners/" + encodeURIComponent(owner) + "/"
        : base + "teams/" + encodeURIComponent(team) + "/";
      go(scope + (want === "closed" ? "closed/" : "") + query(owner ? "owner" : "team"), loading);
      return;
    }
    if (want !== part) {
      go(form.getAttribute("data-" + want) + query(), loading);
      return;
    }
    var shown = 0;
    rows.forEach(function (row) {
      var ok = matches(row.dataset, owner, team, status, overdue);
      row.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown + " of " + rows.length + " on this page shown";
    history.replaceState(null, "", location.pathname + query());
  }
  form.addEventListener("change", function () { apply(false); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.hidden = false;
  apply(true);
})();
