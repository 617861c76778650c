// assay web: sortable tables, Vega-Lite charts, arena answers as they arrive.
// Untrusted text only ever goes in through textContent; nothing here uses innerHTML.
"use strict";

function cellKey(row, index, numeric) {
  const cell = row.cells[index];
  const raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
  if (!numeric) return raw.toLowerCase();
  const value = parseFloat(raw);
  return Number.isNaN(value) ? -Infinity : value;
}

function makeSortable(table) {
  table.querySelectorAll("thead th[data-sort]").forEach((th, index) => {
    th.tabIndex = 0;
    th.addEventListener("click", () => {
      const numeric = th.dataset.sort === "num";
      const descending = th.getAttribute("aria-sort") !== "descending";
      table.querySelectorAll("thead th").forEach((other) => other.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = cellKey(a, index, numeric), y = cellKey(b, index, numeric);
        const order = x < y ? -1 : x > y ? 1 : 0;
        return descending ? -order : order;
      });
      rows.forEach((row) => body.appendChild(row));
    });
  });
}

function embedCharts() {
  if (typeof vegaEmbed === "undefined") return;
  document.querySelectorAll(".vl-chart[data-spec]").forEach((el) => {
    const source = document.getElementById(el.dataset.spec);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    // The AST interpreter evaluates Vega expressions without eval, so the CSP needs no 'unsafe-eval'.
    // defaultStyle/disableDefaultStyle: no injected <style> elements (style-src 'self'); see style.css.
    const options = { actions: false, ast: true, expr: vega.expressionInterpreter, defaultStyle: false,
                      tooltip: { disableDefaultStyle: true } };
    vegaEmbed(el, spec, options)
      .then(() => el.setAttribute("data-rendered", "1"))
      .catch((err) => { el.setAttribute("data-error", String(err)); });
  });
}

function followBattle() {
  const battle = document.getElementById("battle");
  if (!battle || battle.dataset.state !== "pending") return;
  const source = new EventSource("/api/arena/battles/" + encodeURIComponent(battle.dataset.id) + "/stream");
  const show = (event) => {
    const data = JSON.parse(event.data);
    const target = document.getElementById("stream-" + data.side);
    if (target) target.textContent = data.text;
  };
  source.addEventListener("partial", show);
  source.addEventListener("answer", show);
  source.addEventListener("done", () => {
    source.close();
    window.location.reload();  // the server renders the answers as sanitised markdown with the vote form
  });
  source.onerror = () => { source.close(); setTimeout(() => window.location.reload(), 2000); };
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable").forEach(makeSortable);
  followBattle();
});
window.addEventListener("load", embedCharts);
