// The zero-report page fills in as records arrive: it asks GET /zero-reports again every
// REFRESH_MS and redraws the counts and the table (no reload, nothing from another host).
(function () {
  "use strict";
  const REFRESH_MS = 30000;
  const root = document.getElementById("zero-report");
  if (!root) return;
  const config = JSON.parse(document.getElementById("zero-config").textContent);
  const body = root.querySelector("tbody");
  const stamp = document.getElementById("refreshed");

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function draw(report) {
    for (const key of ["on_time", "late", "missing"]) {
      document.getElementById("count-" + key).textContent = report[key];
    }
    body.replaceChildren(...report.cells.map(function (c) {
      const tr = document.createElement("tr");
      tr.className = "status-" + c.status;
      tr.dataset.cell = c.cell_code;
      tr.append(cell(c.cell_name), cell(c.village), cell(config.status[c.status], c.status === "on_time" ? "" : "late"),
                cell(c.first_at ? c.first_at.slice(11, 16) : "—"));
      return tr;
    }));
    stamp.textContent = new Date().toLocaleTimeString(config.lang === "zh" ? "zh-CN" : "en");
  }

  async function load() {
    const answer = await fetch(config.url, {headers: {"Accept": "application/json"}});
    if (answer.ok) draw(await answer.json());
  }

  async function refresh() {
    try {
      await load();
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }
  setTimeout(refresh, REFRESH_MS);
  window.gridriskZeroReport = {load: load};
})();
