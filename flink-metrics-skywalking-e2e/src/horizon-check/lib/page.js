// Licensed under the Apache License, Version 2.0 (the "License"); see the LICENSE file.
//
// Functions that run inside Horizon UI's page. Playwright serialises each one on its own, so none
// may use anything from outside its body.
"use strict";

/**
 * Runs before Horizon's scripts: keeps each ECharts instance on the element it draws into, as
 * `element.__chart`. ECharts holds its instances in a map of its own module; its constructor's
 * `this._dom = dom` is the one moment the instance and its element meet, and an accessor on
 * Object.prototype sees it (and then leaves the property on the instance as a plain one).
 */
function keepChartInstances() {
  Object.defineProperty(Object.prototype, "_dom", {
    configurable: true,
    get() {
      return undefined;
    },
    set(value) {
      Object.defineProperty(this, "_dom", { value, writable: true, configurable: true, enumerable: true });
      if (value instanceof HTMLElement && typeof this.getOption === "function" && typeof this.getZr === "function") {
        value.__chart = this;
      }
    },
  });
}

/**
 * True once the dashboard has settled: nothing says it is reading or refreshing, and every chart
 * is drawn with its animations over.
 */
function settled() {
  const visible = (el) => el && el.offsetParent !== null;
  for (const el of document.querySelectorAll(".badge.fetch, .empty.reading, .reading-dot")) {
    if (visible(el)) {
      return false;
    }
  }
  for (const el of document.querySelectorAll(".w-body .muted")) {
    if (visible(el) && /loading/i.test(el.innerText)) {
      return false;
    }
  }
  for (const el of document.querySelectorAll(".time-chart")) {
    const chart = el.__chart;
    if (chart && !chart.isDisposed()) {
      const zr = chart.getZr();
      if (!zr.animation.isFinished() || zr._needsRefresh) {
        return false;
      }
    }
  }
  return true;
}

/**
 * What each widget of the dashboard grid rendered, read from the page: a line chart's series as
 * its ECharts instance holds and draws them, a card's value, a top list's rows. One entry per
 * widget: { title, type, unit, rendered, problems: [...], ok }; ok means it shows data and nothing
 * wrong (no "no data", no error, no NaN or "—").
 */
function readWidgets() {
  const text = (el) => (el ? el.innerText.replace(/\s+/g, " ").trim() : "");
  const bad = (v) => /^(NaN|-?Infinity|undefined|null)$/i.test(String(v).trim());
  const round = (v) => {
    const n = Number(v);
    return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
  };

  function readChart(el) {
    const shown = { problems: [], parts: [], points: 0 };
    const chart = el.__chart;
    if (!chart) {
      shown.problems.push("no chart drawn");
      return shown;
    }
    const option = chart.getOption();
    const drawn = chart.getModel().getSeries();
    (option.series || []).forEach((series, i) => {
      const values = (series.data || []).map((d) => (Array.isArray(d) ? d[1] : d && d.value !== undefined ? d.value : d));
      // Horizon hands ECharts "-" for a minute without a value.
      const present = values.filter((v) => v !== null && v !== undefined && v !== "" && v !== "-");
      const numbers = present.filter((v) => !bad(v) && Number.isFinite(Number(v))).map(Number);
      const nans = present.filter((v) => bad(v) || !Number.isFinite(Number(v)));
      const count = drawn[i] ? drawn[i].getData().count() : 0;
      shown.points += numbers.length;
      if (nans.length) {
        shown.problems.push(`series "${series.name}" has ${nans.length} value(s) ${nans[0]}`);
      }
      if (!count) {
        shown.problems.push(`series "${series.name}" is not drawn`);
      }
      if (!numbers.length) {
        shown.problems.push(`series "${series.name}" has no value`);
      }
      const last = numbers.length ? round(numbers[numbers.length - 1]) : "none";
      const range = numbers.length ? ` ${round(Math.min(...numbers))}..${round(Math.max(...numbers))}` : "";
      shown.parts.push(`"${series.name}": ${numbers.length} points,${range} last ${last}`);
    });
    if (!(option.series || []).length) {
      shown.problems.push("no series");
    }
    return shown;
  }

  const widgets = [];
  for (const item of document.querySelectorAll(".grid > .widget")) {
    if (item.offsetParent === null) {
      continue;
    }
    const widget = { title: text(item.querySelector(".w-head h4")), type: "", unit: "", rendered: "", problems: [] };
    const body = item.querySelector(".w-body");
    const typeClass = body ? [...body.classList].find((c) => c.startsWith("type-")) : null;
    widget.type = typeClass ? typeClass.slice(5) : "unknown";
    widget.unit = text(item.querySelector(".w-head .unit"));
    const chart = body && body.querySelector(".time-chart");
    const card = body && body.querySelector(".card-value");
    const top = body && body.querySelector(".top-list");
    const muted = body && body.querySelector(":scope > .muted");
    if (muted && !chart && !card && !top) {
      widget.rendered = text(muted);
      widget.problems.push(`shows "${text(muted)}"`);
    } else if (chart) {
      const c = readChart(chart);
      widget.rendered = c.parts.join("; ") || "nothing";
      widget.problems.push(...c.problems);
    } else if (card) {
      const num = card.querySelector(".num");
      widget.rendered = text(card);
      if (!num || num.classList.contains("muted") || !text(num) || text(num) === "—" || bad(text(num))) {
        widget.problems.push(`shows "${text(card)}"`);
      }
    } else if (top) {
      const rows = [...top.querySelectorAll(".rows .row")].map((row) => ({
        name: text(row.querySelector(".name")),
        value: text(row.querySelector(".value")),
      }));
      widget.rendered = `${rows.length} rows: ${rows.map((r) => `${r.name} ${r.value}`).join(", ")}`;
      if (!rows.length) {
        widget.problems.push(`no rows ("${text(top.querySelector(".empty"))}")`);
      }
      for (const r of rows) {
        if (!r.value || r.value.startsWith("—") || bad(r.value.split(/\s/)[0])) {
          widget.problems.push(`${r.name}: shows "${r.value}"`);
        }
      }
    } else {
      widget.rendered = text(body);
      widget.problems.push(`nothing readable ("${text(body)}")`);
    }
    widget.title = widget.title || `(untitled ${widget.type})`;
    widget.ok = widget.problems.length === 0;
    widgets.push(widget);
  }
  return widgets;
}

/**
 * Height the window needs to show the whole page without scrolling: Horizon scrolls its main
 * panel (.sw-main) rather than the document.
 */
function contentHeight() {
  const main = document.querySelector(".sw-main") || document.documentElement;
  return window.innerHeight + Math.max(0, main.scrollHeight - main.clientHeight);
}

module.exports = { keepChartInstances, settled, readWidgets, contentHeight };
