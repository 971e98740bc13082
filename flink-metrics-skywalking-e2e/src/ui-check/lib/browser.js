// Licensed under the Apache License, Version 2.0 (the "License"); see the LICENSE file.
//
// Functions that run inside the page. Playwright serialises each one on its own, so none may use
// anything from outside its body.
"use strict";

/**
 * Runs before the UI's scripts: keeps each ECharts instance on the element it draws into, as
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
 * True once the page has settled: no loading mask shown, and every chart drawn with its
 * animations over (ECharts animates a line in over a second, and a screenshot taken meanwhile shows
 * half of it).
 */
function settled() {
  for (const mask of document.querySelectorAll(".el-loading-mask")) {
    if (mask.offsetParent !== null && getComputedStyle(mask).display !== "none") {
      return false;
    }
  }
  for (const el of document.querySelectorAll(".chart")) {
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
 * What each widget of the dashboard shown (of its open tab, if it has tabs) rendered, read from
 * the page: for charts the series of the widget's ECharts instance and what it draws, for cards
 * their text, for lists their rows and cells, for the event timeline its items. Returns one entry
 * per widget: { title, kind, rendered, problems: [...], ok }; ok means it shows data and nothing
 * wrong.
 */
function readWidgets() {
  const text = (el) => (el ? el.innerText.replace(/\s+/g, " ").trim() : "");
  const bad = (v) => /^(NaN|-?Infinity|undefined|null)$/i.test(String(v).trim());
  const round = (v) => {
    const n = Number(v);
    return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000);
  };

  function readChart(el) {
    const chart = el.__chart;
    const shown = { problems: [], parts: [], points: 0 };
    if (el.querySelector(":scope > .no-data")) {
      shown.problems.push(`shows "${text(el.querySelector(":scope > .no-data"))}"`);
    }
    if (!chart) {
      shown.problems.push("no chart drawn");
      return shown;
    }
    const option = chart.getOption();
    const drawn = chart.getModel().getSeries();
    (option.series || []).forEach((series, i) => {
      const values = (series.data || []).map((d) => (Array.isArray(d) ? d[1] : d && d.value !== undefined ? d.value : d));
      const numbers = values.filter((v) => v !== null && v !== undefined && v !== "" && !bad(v)).map(Number);
      const nans = values.filter((v) => v !== null && v !== undefined && v !== "" && bad(v));
      const count = drawn[i] ? drawn[i].getData().count() : 0;
      shown.points += numbers.length;
      if (nans.length) {
        shown.problems.push(`series "${series.name}" has ${nans.length} value(s) ${nans[0]}`);
      }
      if (!count) {
        shown.problems.push(`series "${series.name}" is not drawn`);
      }
      const last = numbers.length ? round(numbers[numbers.length - 1]) : "none";
      const range = numbers.length ? ` ${round(Math.min(...numbers))}..${round(Math.max(...numbers))}` : "";
      shown.parts.push(`"${series.name}": ${numbers.length} points,${range} last ${last}`);
    });
    if (!shown.points) {
      shown.problems.push(option.series && option.series.length ? "no series has a value" : "no series");
    }
    return shown;
  }

  function readCard(el) {
    const value = text(el);
    const problems = [];
    if (el.classList.contains("card-no-data") || !value) {
      problems.push(`shows "${value}"`);
    } else if (bad(value.split(" ")[0])) {
      problems.push(`shows ${value}`);
    }
    return { value, problems };
  }

  function readTable(el) {
    const headers = [...el.querySelectorAll(".el-table__header th")].map(text);
    const rows = [...el.querySelectorAll(".el-table__body tr.el-table__row")];
    const problems = [];
    const parts = rows.map((row) => {
      const cells = [...row.querySelectorAll("td")];
      const name = text(row.querySelector(".link")) || text(cells[0]);
      const values = [];
      cells.forEach((cell, i) => {
        const card = cell.querySelector(".chart-card, .card-no-data");
        if (!card) {
          return;
        }
        const c = readCard(card);
        values.push(`${headers[i] || "value"} ${c.value}`);
        c.problems.forEach((p) => problems.push(`${name}: ${headers[i] || "value"} ${p}`));
      });
      return values.length ? `${name} (${values.join("; ")})` : name;
    });
    if (!rows.length) {
      problems.push(`no rows ("${text(el.querySelector(".el-table__empty-text"))}")`);
    }
    return { parts, problems, rows: rows.length };
  }

  const widgets = [];
  const items = [...document.querySelectorAll(".vue-grid-item:not(.vue-grid-placeholder)")].filter(
    (item) => !item.querySelector(".vue-grid-item:not(.vue-grid-placeholder)") && item.offsetParent !== null,
  );
  for (const item of items) {
    const widget = { title: "", kind: "", rendered: "", problems: [] };
    const header = item.querySelector(".widget > .header");
    widget.title = header ? text(header) : "";
    const chart = item.querySelector(".chart");
    const card = item.querySelector(".chart-card, .card-no-data");
    const table = item.querySelector(".el-table");
    const topList = item.querySelector(".top-list, .body > .no-data");
    const events = item.querySelector(".event-wrapper");
    const frame = item.querySelector("iframe");
    if (table) {
      const t = readTable(table);
      widget.kind = "list";
      widget.rendered = `${t.rows} rows: ${t.parts.join(", ")}`;
      widget.problems.push(...t.problems);
    } else if (chart) {
      const c = readChart(chart);
      widget.kind = "chart";
      widget.rendered = c.parts.join("; ") || "nothing";
      widget.problems.push(...c.problems);
    } else if (card) {
      const c = readCard(card);
      widget.kind = "card";
      widget.rendered = c.value;
      widget.problems.push(...c.problems);
    } else if (events) {
      const shown = [...events.querySelectorAll(".vis-item .vis-item-content")].map(text);
      widget.kind = "events";
      widget.title = widget.title || "Events";
      if (events.querySelector(".event-inspector")) {
        widget.problems.push("the timeline is collapsed");
      }
      const counts = {};
      shown.forEach((name) => (counts[name] = (counts[name] || 0) + 1));
      widget.rendered = `${shown.length} events: ${Object.entries(counts)
        .map(([name, n]) => `${name} x${n}`)
        .join(", ")}`;
      if (!shown.length) {
        widget.problems.push("no events");
      }
    } else if (item.querySelector(".top-list")) {
      const rows = [...item.querySelectorAll(".top-list .chart-slow-i")].map(
        (row) => `${text(row.querySelector(".cp"))} ${text(row.querySelector(".calls"))}`,
      );
      widget.kind = "top list";
      widget.rendered = `${rows.length} rows: ${rows.join(", ")}`;
      if (!rows.length) {
        widget.problems.push("no rows");
      }
    } else if (frame) {
      widget.kind = "frame";
      widget.rendered = frame.getAttribute("src");
    } else if (topList) {
      widget.kind = "top list";
      widget.rendered = text(topList);
      widget.problems.push(`shows "${text(topList)}"`);
    } else {
      const link = item.querySelector("a[href]");
      widget.kind = "text";
      widget.rendered = text(item) + (link ? ` (links to ${link.getAttribute("href")})` : "");
      if (!widget.rendered) {
        widget.problems.push("shows nothing");
      }
    }
    widget.title = widget.title || `(untitled ${widget.kind})`;
    widget.ok = widget.problems.length === 0;
    widgets.push(widget);
  }
  return widgets;
}

/**
 * Height the window needs to show the whole dashboard without scrolling: the UI scrolls the page
 * inside its own panel rather than the document. What scrolls inside a widget (a tab's widgets, a
 * list) keeps its scroll bar, as the user sees it.
 */
function contentHeight() {
  const grid = document.querySelector(".vue-grid-layout") || document.body;
  let extra = 0;
  for (let el = grid.parentElement; el; el = el.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(el).overflowY) && el.scrollHeight > el.clientHeight + 1) {
      extra = Math.max(extra, el.scrollHeight - el.clientHeight);
    }
  }
  return window.innerHeight + extra;
}

module.exports = { keepChartInstances, settled, readWidgets, contentHeight };
