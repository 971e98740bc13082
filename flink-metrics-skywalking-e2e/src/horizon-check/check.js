// Licensed under the Apache License, Version 2.0 (the "License"); see the LICENSE file.
//
// What a SkyWalking 11 user sees of a Flink cluster in Horizon UI: signs in, picks the last 15
// minutes, opens every page of the Flink layer's menu (SkyWalking's and the project's) for the
// cluster, each TaskManager and each job, and reads what each widget rendered: the series an
// ECharts line chart draws, the value of a card, the rows of a top list. Every widget of the FLINK
// template the OAP holds must be on its page. A widget that shows no data, an error, NaN or "—"
// fails, unless no-data-expected.json lists it with the reason it cannot have data in this setup.
// Then the Zipkin trace view with a checkpoint trace, the cluster's events (a job's among them) and
// the alarms. Prints one line per widget and "N passed, N failed"; exits 1 on any failure.
// docs/ui.md describes it.
//
//   node check.js --horizon http://127.0.0.1:<port> --user <user> --password <password>
//       --template <the FLINK layer template as the OAP holds it, JSON> --service flink::<cluster>
//       --out <folder for report and screenshots> [--job <job the pictures show>]
//       [--events-job <job whose events are looked for>] [--chromium <path>]
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");
const { keepChartInstances, readWidgets } = require("./lib/page");
const user = require("./lib/user");

const EXPECTED_FILE = path.join(__dirname, "no-data-expected.json");
const LAYER = "flink";
const SCOPES = [
  { scope: "service", label: "cluster" },
  { scope: "instance", label: "TaskManager" },
  { scope: "endpoint", label: "job" },
];

function parseArgs(argv) {
  const options = { chromium: "/usr/bin/chromium" };
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) {
      throw new Error(`expected --name value pairs, got ${argv.slice(i).join(" ")}`);
    }
    options[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ["horizon", "user", "password", "template", "service", "out"]) {
    if (!options[required]) {
      throw new Error(`--${required} is required (see the header of check.js)`);
    }
  }
  return options;
}

/** The verdicts, one per widget, checked against the reviewed list of widgets without data. */
class Report {
  constructor(expected) {
    this.expected = expected;
    this.used = new Set();
    this.lines = [];
    this.passed = 0;
    this.failed = 0;
    this.expectedNoData = 0;
  }

  expectedFor(page, widget) {
    const i = this.expected.findIndex((e) => e.page === page && e.widget === widget);
    if (i >= 0) {
      this.used.add(i);
    }
    return i >= 0 ? this.expected[i] : null;
  }

  line(verdict, page, widget, detail) {
    const text = `${verdict.padEnd(16)} ${page} | ${widget} | ${detail}`;
    console.log(text);
    this.lines.push(text);
    if (verdict === "FAIL") {
      this.failed++;
    } else {
      this.passed++;
      if (verdict === "NO-DATA-EXPECTED") {
        this.expectedNoData++;
      }
    }
  }

  /** One widget as read from the page. */
  widget(page, w, errors) {
    const expected = this.expectedFor(page, w.title);
    const unit = w.unit ? ` [${w.unit}]` : "";
    if (w.ok && expected) {
      this.line(
        "FAIL",
        page,
        w.title,
        `shows data, but no-data-expected.json says it cannot (${expected.reason}): review the list. Shows ${w.rendered}`,
      );
    } else if (w.ok) {
      this.line("PASS", page, w.title, `${w.type}${unit}: ${w.rendered}`);
    } else if (expected && expected.shows && !w.rendered.includes(expected.shows)) {
      // The entry names what the widget shows instead of data: anything else is a new fault.
      this.line("FAIL", page, w.title, `${w.problems.join("; ")}; no-data-expected.json expects "${expected.shows}"`);
    } else if (expected) {
      this.line("NO-DATA-EXPECTED", page, w.title, `${w.problems.join("; ")}: ${expected.reason}`);
    } else {
      const oap = errors.length ? `; errors answered on this page: ${errors.join("; ")}` : "";
      this.line("FAIL", page, w.title, `${w.problems.join("; ")} (${w.type}${unit}: ${w.rendered})${oap}`);
    }
  }

  /** Entries of the list that named no widget this run saw: the list must not go stale. */
  unused() {
    this.expected.forEach((e, i) => {
      if (!this.used.has(i)) {
        this.line("FAIL", e.page, e.widget, "listed in no-data-expected.json, but no such widget was seen");
      }
    });
  }
}

/** Collects the per-widget errors Horizon's dashboard API answers while a page loads. */
function watchDashboardErrors(page) {
  let errors = [];
  page.on("response", async (response) => {
    if (!/\/api\/layer\/[^/]+\/dashboard$/.test(new URL(response.url()).pathname)) {
      return;
    }
    try {
      const body = await response.json();
      for (const w of body.widgets || []) {
        if (w.error && w.error !== "no data") {
          errors.push(`${w.id}: ${w.error}`);
        }
      }
    } catch (e) {
      errors.push(`${response.status()} from ${response.url()}`);
    }
  });
  return {
    take() {
      const taken = [...new Set(errors)];
      errors = [];
      return taken;
    },
  };
}

async function main() {
  const started = Date.now();
  const options = parseArgs(process.argv.slice(2));
  const out = path.resolve(options.out);
  const shots = path.join(out, "screenshots");
  fs.mkdirSync(shots, { recursive: true });
  const report = new Report(JSON.parse(fs.readFileSync(EXPECTED_FILE, "utf8")));
  const template = JSON.parse(fs.readFileSync(options.template, "utf8"));
  const log = (message) => console.log(`[horizon-check] ${message}`);
  const service = options.service;
  const cleanup = [];
  const onSignal = () => {
    for (const c of cleanup.reverse()) {
      c();
    }
    process.exit(130);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    // A browser server, so that its process is ours to end by its PID whatever happens. Playwright
    // gives it a fresh temporary profile (--user-data-dir) and deletes it on close.
    const browserServer = await chromium.launchServer({
      executablePath: options.chromium,
      headless: true,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const chromiumProcess = browserServer.process();
    cleanup.push(() => {
      if (chromiumProcess.exitCode === null && chromiumProcess.signalCode === null) {
        chromiumProcess.kill("SIGKILL");
      }
    });
    log(`Chromium (pid ${chromiumProcess.pid}), Horizon at ${options.horizon}`);
    const browser = await chromium.connect(browserServer.wsEndpoint());
    cleanup.push(() => browserServer.close());
    const context = await browser.newContext({ viewport: user.VIEWPORT });
    await context.addInitScript(keepChartInstances);
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    const consoleLog = fs.createWriteStream(path.join(out, "browser-console.txt"));
    page.on("console", (m) => consoleLog.write(`${m.type()} ${page.url()} ${m.text()}\n`));
    page.on("pageerror", (e) => consoleLog.write(`pageerror ${page.url()} ${e.message}\n`));
    const dashboardErrors = watchDashboardErrors(page);

    /** Reads the page's widgets; every widget the template puts on it must be there. */
    const check = async (name, widgets, shot) => {
      await user.settle(page);
      const errors = dashboardErrors.take();
      const read = await page.evaluate(readWidgets);
      const seen = new Set(read.map((w) => w.title));
      for (const w of widgets) {
        if (!seen.has(w.title)) {
          report.line("FAIL", name, w.title, `in the template (${w.id}), not on the page at ${page.url()}`);
        }
      }
      if (!read.length) {
        report.line("FAIL", name, "(page)", `no widget at ${page.url()}`);
      }
      for (const w of read) {
        report.widget(name, w, errors);
      }
      if (shot) {
        await user.screenshot(page, path.join(shots, shot));
      }
    };

    await user.signIn(page, options.horizon, options.user, options.password);
    // The cluster, then the time range (a page load resets the range to Horizon's default).
    await selectService(page, options.horizon, service);
    log(`time range: ${await user.timeRange(page, "Last 15 minutes")}`);

    // The Flink layer's menu: SkyWalking's pages, the project's pages, the trace view.
    const rows = await user.menuRows(page, LAYER);
    const wanted = ["service", "instance", "endpoint", "trace"];
    for (const { scope } of SCOPES) {
      for (const p of (template.dashboardExtPages || {})[scope] || []) {
        wanted.push(`${scope}/${p.id}`);
      }
    }
    const paths = rows.map((r) => r.href.split("?")[0].replace(`/layer/${LAYER}/`, ""));
    const missing = wanted.filter((w) => !paths.includes(w));
    report.line(
      missing.length ? "FAIL" : "PASS",
      "Flink (side bar)",
      "menu",
      `${rows.map((r) => r.name).join(", ")}${missing.length ? `; missing ${missing.join(", ")}` : ""}`,
    );

    const job = options.job;
    for (const { scope, label } of SCOPES) {
      const pages = [{ path: scope, name: null, widgets: template.dashboards[scope] || [] }].concat(
        ((template.dashboardExtPages || {})[scope] || []).map((p) => ({
          path: `${scope}/${p.id}`,
          name: p.name,
          widgets: p.widgets,
        })),
      );
      for (const p of pages) {
        await user.openMenuRow(page, LAYER, p.path);
        const title = p.name || rows.find((r) => r.href.split("?")[0] === `/layer/${LAYER}/${p.path}`).name;
        if (scope === "service") {
          await check(`${title} (${service})`, p.widgets, shotName(p, label));
          continue;
        }
        const names = await user.pickerNames(page);
        if (!names.length) {
          report.line("FAIL", title, "(picker)", `no ${label} listed`);
        }
        for (const [i, entity] of names.entries()) {
          await user.pick(page, entity);
          const pictured = scope === "endpoint" ? entity === (job || names[0]) : i === 0;
          await check(`${title} (${entity})`, p.widgets, pictured ? shotName(p, label) : null);
        }
      }
    }

    await traces(page, report, service, path.join(shots, "horizon-checkpoint-trace.png"));
    await events(page, report, service, options["events-job"] || job, path.join(shots, "horizon-job-events.png"));
    await alarms(page, report, options.horizon, service, options["events-job"] || job, shots);
    await layerDashboards(page, report, options.horizon, path.join(out, "layer-dashboards.png"));
  } catch (e) {
    report.line("FAIL", "(check)", "(stopped)", e.stack.split("\n").slice(0, 3).join(" "));
  } finally {
    for (const c of cleanup.reverse()) {
      try {
        await c();
      } catch (e) {
        // Ending what is already ended.
      }
    }
  }
  report.unused();
  const seconds = Math.round((Date.now() - started) / 1000);
  fs.writeFileSync(path.join(out, "widgets.txt"), report.lines.join("\n") + "\n");
  console.log(`${report.expectedNoData} of the passed: NO-DATA-EXPECTED`);
  console.log(`${report.passed} passed, ${report.failed} failed (${seconds} s)`);
  process.exitCode = report.failed ? 1 : 0;
}

/** The picture of a page: SkyWalking's pages and the project's, one per scope each. */
function shotName(p, label) {
  const kind = p.name ? "project" : "skywalking";
  return `horizon-${kind}-${label.toLowerCase()}.png`;
}

/**
 * Picks the cluster in the layer's service picker, as a user does on a layer with several
 * clusters; a deep link (?service=<id>) where Horizon offers no picker.
 */
async function selectService(page, url, service) {
  const id = `${Buffer.from(service).toString("base64")}.1`;
  await page.goto(`${url}/layer/${LAYER}/service?service=${encodeURIComponent(id)}`);
  await user.settle(page);
}

/**
 * Horizon's own view of the templates (Dashboard setup, Layer dashboards): the FLINK template the
 * OAP holds now differs from the one Horizon ships, which Horizon calls diverged.
 */
async function layerDashboards(page, report, url, shot) {
  await page.goto(`${url}/admin/layer-dashboards`);
  await user.settle(page);
  const text = await page.locator(".sw-main").innerText();
  const synced = (text.match(/Synced from OAP[^\n]*/) || [""])[0].trim();
  const diverged = Number((synced.match(/(\d+) diverged/) || [])[1] || 0);
  report.line(
    diverged >= 1 ? "PASS" : "FAIL",
    "Layer dashboards",
    "FLINK template",
    `${synced || "no sync status shown"} (the FLINK row with the project's pages differs from Horizon's bundle)`,
  );
  await page.screenshot({ path: shot });
}

/**
 * The layer's trace view (Zipkin): the cluster's checkpoint spans of the last 15 minutes, the
 * newest trace opened and its span's tags read.
 */
async function traces(page, report, service, shot) {
  await user.openMenuRow(page, LAYER, "trace");
  const fields = page.locator(".ztr-conditions .cf-tas");
  await fields.nth(0).click();
  await page.locator(".tas__row", { hasText: service }).first().click();
  await fields.nth(2).click();
  await page.locator(".tas__row", { hasText: /^\s*checkpoint\s*$/ }).first().click();
  await page.locator(".ztr-conditions select").nth(1).selectOption({ label: "Last 15 min" });
  await page.click(".ztr-run-btn");
  await user.settle(page);
  const rows = page.locator(".ztr-list .tr-row-card");
  await rows.first().waitFor({ timeout: 15000 }).catch(() => {});
  const found = await rows.count();
  const names = await rows.locator(".tr-ep").allInnerTexts();
  report.line(
    found && names.every((n) => n.trim() === "checkpoint") ? "PASS" : "FAIL",
    "Traces (Zipkin)",
    `${service}, span checkpoint, last 15 min`,
    `${found} traces: ${[...new Set(names.map((n) => n.trim()))].join(", ") || "none"}`,
  );
  if (!found) {
    await user.screenshot(page, shot);
    return;
  }
  await rows.first().click();
  await page.locator(".ztr-waterfall .tp-row").first().waitFor();
  await user.settle(page);
  const kpis = (await page.locator(".ztr-kpis").innerText()).replace(/\s+/g, " ").trim();
  await page.locator(".ztr-waterfall .tp-row").first().click();
  const modal = page.locator(".span-modal");
  await modal.waitFor();
  const text = await modal.innerText();
  const tag = (name) => (text.match(new RegExp(`\\n${name}\\s*\\n\\s*([^\\n]+)`)) || [])[1];
  const status = tag("checkpointStatus");
  report.line(
    status && tag("service.name") === service ? "PASS" : "FAIL",
    "Traces (Zipkin)",
    "checkpoint trace",
    `${kpis}; checkpoint ${tag("checkpointId")} ${status}, job ${tag("job_name")}, fullSize ${tag("fullSize")} bytes, ` +
      `checkpointedSize ${tag("checkpointedSize")} bytes, service ${tag("service.name")}`,
  );
  await page.screenshot({ path: shot });
  await modal.locator("button").first().click();
}

/**
 * The cluster's events, as the Events button of the layer's service banner opens them (the events
 * of the service in layer FLINK, over the window the popout opens with); the job's among them.
 */
async function events(page, report, service, job, shot) {
  await user.openMenuRow(page, LAYER, "service");
  await page.click(".svc-events");
  const popout = page.locator(".evtp");
  await popout.waitFor();
  await user.settle(page);
  await page.waitForFunction(() => !/Reading data/.test((document.querySelector(".evtp") || {}).innerText || ""), null, {
    timeout: 30000,
  }).catch(() => {});
  const name = `Events (${service})`;
  const error = await popout.locator(".evtp__empty--err").allInnerTexts();
  const rows = await popout.locator(".gantt-row").allInnerTexts();
  const shown = rows.map((r) => r.replace(/\s+/g, " ").trim());
  const widget = {
    title: `events of job ${job}`,
    type: "events",
    unit: "",
    rendered: error.length ? error.join(" ").replace(/\s+/g, " ").trim() : `${shown.length} rows: ${shown.slice(0, 12).join(", ")}`,
    problems: [],
  };
  if (error.length) {
    widget.problems.push(`shows "${widget.rendered}"`);
  } else if (!shown.some((r) => r.includes(job))) {
    widget.problems.push(`no event of ${job}`);
  }
  widget.ok = widget.problems.length === 0;
  report.widget(name, widget, []);
  await page.screenshot({ path: shot });
  await page.keyboard.press("Escape");
}

/**
 * The alarms page (the last 20 minutes): the alarms of the cluster, and the details of the newest
 * one on the job.
 */
async function alarms(page, report, url, service, job, shots) {
  await page.goto(`${url}/alarms`);
  await user.settle(page);
  const rows = page.locator(".ax__rows .ax__row");
  await rows.first().waitFor({ timeout: 15000 }).catch(() => {});
  const all = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim());
  const ours = all.filter((t) => t.includes(service));
  report.line(
    ours.length ? "PASS" : "FAIL",
    "Alarms",
    "alarm list",
    `${ours.length} alarms of ${service}: ${ours.join(" | ") || "none"}`,
  );
  await user.screenshot(page, path.join(shots, "horizon-alarms.png"));
  if (!ours.length) {
    return;
  }
  const onJob = rows.filter({ hasText: job });
  await ((await onJob.count()) ? onJob : rows.filter({ hasText: service })).first().click();
  const detail = page.locator(".ad");
  await detail.waitFor();
  await user.settle(page);
  const read = await detail.evaluate((d) => {
    const text = (sel) => [...d.querySelectorAll(sel)].map((e) => e.innerText.replace(/\s+/g, " ").trim());
    const chartEl = [...d.querySelectorAll("*")].find((e) => e.__chart);
    let points = 0;
    if (chartEl) {
      for (const s of chartEl.__chart.getOption().series || []) {
        points += (s.data || []).filter((v) => {
          const y = Array.isArray(v) ? v[1] : v && v.value !== undefined ? v.value : v;
          return y !== null && y !== "-" && y !== undefined && Number.isFinite(Number(y));
        }).length;
      }
    }
    return { message: text(".ad__rule")[0] || "", tags: text(".ad__tag"), expression: text(".ad__expr")[0] || "", points };
  });
  report.line(
    read.message && read.expression ? "PASS" : "FAIL",
    "Alarms / alarm detail",
    read.message || "(no message)",
    `tags ${read.tags.join(", ") || "none"}; expression ${read.expression}; snapshot chart: ${read.points} points`,
  );
  await page.screenshot({ path: path.join(shots, "horizon-alarm-detail.png") });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
