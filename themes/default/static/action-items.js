// Filters the action-item table by owner, team, status and overdue. The table is complete
// without this script; the filters are kept in the URL so a filtered view can be shared.
(function () {
  "use strict";
  var form = document.getElementById("item-filters");
  var table = document.getElementById("items");
  if (!form || !table) return;
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var count = document.getElementById("item-count");
  var params = new URLSearchParams(location.search);
  ["owner", "team", "status"].forEach(function (name) {
    var v = params.get(name);
    if (v !== null) form.elements[name].value = v;
  });
  form.elements.overdue.checked = params.get("overdue") === "1";
  function apply() {
    var owner = form.elements.owner.value;
    var team = form.elements.team.value;
    var status = form.elements.status.value;
    var overdue = form.elements.overdue.checked;
    var shown = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var ok = (!owner || d.owner === owner) &&
        (!team || d.team === team) &&
        (!status || d.status === status ||
          (status === "pending" && (d.status === "open" || d.status === "in-progress"))) &&
        (!overdue || d.overdue === "1");
      row.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown + " of " + rows.length + " shown";
    var q = new URLSearchParams();
    if (owner) q.set("owner", owner);
    if (team) q.set("team", team);
    if (status) q.set("status", status);
    if (overdue) q.set("overdue", "1");
    var s = q.toString();
    history.replaceState(null, "", location.pathname + (s ? "?" + s : ""));
  }
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.hidden = false;
  apply();
})();
