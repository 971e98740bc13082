// Licensed under the Apache License, Version 2.0 (the "License"); see the LICENSE file.
//
// What a SkyWalking user sees of a Flink cluster: opens SkyWalking's web UI (served from its built
// dist/ as its webapp serves it) in headless Chromium, clicks through every Flink page and the
// project's dashboards as a user does, and reads what each widget rendered: the series an ECharts
// chart draws, the text of a card, the rows of a list, the items of the event timeline. A widget
// that shows no data, an error or NaN fails, unless no-data-expected.json lists it with the reason
// it cannot have data in this setup. Prints one line per widget and "N passed, N failed"; exits 1 on
// any failure. docs/ui.md describes it.
//
//   node check.js --ui-dir <built skywalking-booster-ui> --oap http://127.0.0.1:12800
//       --zipkin http://127.0.0.1:9412 --zipkin-lens <zipkin-lens folder> --service flink::<cluster>
//       --out <folder for report and screenshots> [--job <job the pictures show>]
//       [--events-job <job whose events the picture of events shows>] [--chromium <path>]
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");
const { serveUi } = require("./lib/serve");
const { keepChartInstances, readWidgets } = require("./lib/browser");
const user = require("./lib/user");

const EXPECTED_FILE = path.join(__dirname, "no-data-expected.json");

function parseArgs(argv) {
  const options = { chromium: "/usr/bin/chromium" };
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) {
      throw new Error(`expected --name value pairs, got ${argv.slice(i).join(" ")}`);
    }
    options[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ["ui-dir", "oap", "zipkin", "zipkin-lens", "service", "out"]) {
    if (!options[required]) {
      throw new Error(`--${required} is required (see the header of check.js)`);
    }
  }
  if (!fs.existsSync(path.join(options["ui-dir"], "dist", "index.html"))) {
    throw new Error(`${options["ui-dir"]}/dist/index.html does not exist: build the UI first (docs/ui.md)`);
  }
  if (!fs.existsSync(path.join(options["zipkin-lens"], "index.html"))) {
    throw new Error(`${options["zipkin-lens"]}/index.html does not exist: give Zipkin Lens's folder`);
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
    }
  }

  /** One widget as read from the page. */
  widget(page, w, errors) {
    const expected = this.expectedFor(page, w.title);
    if (w.ok && expected) {
      this.line(
        "FAIL",
        page,
        w.title,
        `shows data, but no-data-expected.json says it cannot (${expected.reason}): review the list. Shows ${w.rendered}`,
      );
    } else if (w.ok) {
      this.line("PASS", page, w.title, w.rendered);
    } else if (expected) {
      this.line("NO-DATA-EXPECTED", page, w.title, `${w.problems.join("; ")}: ${expected.reason}`);
    } else {
      const oap = errors.length ? `; the OAP answered errors on this page: ${errors.join("; ")}` : "";
      this.line("FAIL", page, w.title, `${w.problems.join("; ")} (shows ${w.rendered})${oap}`);
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

/** Collects the GraphQL expression errors the OAP answers while a page loads, for the report. */
function watchGraphqlErrors(page) {
  let errors = [];
  page.on("response", async (response) => {
    if (!response.url().endsWith("/graphql")) {
      return;
    }
    try {
      const body = await response.json();
      for (const [key, value] of Object.entries(body.data || {})) {
        if (value && value.error) {
          // A widget's query names each expression's variable after its answer's field.
          const variables = JSON.parse(response.request().postData() || "{}").variables || {};
          errors.push(`${variables[key] || key}: ${value.error}`);
        }
      }
      for (const e of body.errors || []) {
        errors.push(e.message);
      }
    } catch (e) {
      // Not JSON: nothing to report.
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
  const log = (message) => console.log(`[ui-check] ${message}`);
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
    const server = await serveUi({
      uiDir: path.resolve(options["ui-dir"]),
      oap: options.oap,
      zipkin: options.zipkin,
      lensDir: path.resolve(options["zipkin-lens"]),
      log,
    });
    cleanup.push(server.close);
    // A browser server, so that its process is ours to end by its PID whatever happens. Playwright
    // gives it a fresh temporary profile (--user-data-dir) and deletes it on close.
    const browserServer = await chromium.launchServer({
      executablePath: options.chromium,
      headless: true,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
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
    log(`Chromium (pid ${chromiumProcess.pid}) and the UI at ${server.url}`);
    const browser = await chromium.connect(browserServer.wsEndpoint());
    cleanup.push(() => browserServer.close());
    const context = await browser.newContext({ viewport: user.VIEWPORT });
    await context.addInitScript(keepChartInstances);
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    const consoleLog = fs.createWriteStream(path.join(out, "browser-console.txt"));
    page.on("console", (m) => consoleLog.write(`${m.type()} ${page.url()} ${m.text()}\n`));
    page.on("pageerror", (e) => consoleLog.write(`pageerror ${page.url()} ${e.message}\n`));
    const graphqlErrors = watchGraphqlErrors(page);

    const check = async (name, shot) => {
      await user.settle(page);
      const errors = graphqlErrors.take();
      const widgets = await page.evaluate(readWidgets);
      if (!widgets.length) {
        report.line("FAIL", name, "(page)", `no widget at ${page.url()}`);
      }
      for (const w of widgets) {
        report.widget(name, w, errors);
      }
      if (shot) {
        await user.screenshot(page, path.join(shots, shot));
      }
      return widgets;
    };

    await page.goto(`${server.url}/`);
    await user.settle(page);
    log(`time range ${await user.lastFifteenMinutes(page)}`);

    // SkyWalking's own Flink pages: the layer's menu entry, the cluster, each TaskManager, each job.
    const flinkPath = await user.menu(page, (href, text) => text === "Flink");
    log(`Flink menu entry: ${flinkPath}`);
    await check("Flink-Root");
    await user.clickListed(page, service.split("::").pop());
    const cluster = `Flink-JobManager (${service})`;
    await check(`${cluster} / Overview`, "skywalking-flink-cluster.png");
    await user.openTab(page, "TaskManager");
    await check(`${cluster} / TaskManager`);
    const taskManagers = await user.listedNames(page, null);
    for (const [i, tm] of taskManagers.entries()) {
      await user.clickListed(page, tm);
      await check(`Flink-TaskManager (${tm})`, i === 0 ? "skywalking-flink-taskmanager.png" : null);
      await user.back(page);
      await user.openTab(page, "TaskManager");
    }
    await user.openTab(page, "Job");
    await check(`${cluster} / Job`);
    const jobs = await user.listedNames(page, "Job List");
    const pictured = options.job || jobs[0];
    for (const job of jobs) {
      await user.clickListed(page, job);
      await check(`Flink-Job (${job})`, job === pictured ? "skywalking-flink-job.png" : null);
      await user.back(page);
      await user.openTab(page, "Job");
    }

    // The project's dashboards: reached from the dashboard list, then through their own links.
    await user.menu(page, "/dashboard/list");
    await page.locator(".dashboard-list .header input").fill("Flink-Project");
    await page.locator(".dashboard-list .header input").press("Enter");
    await user.settle(page);
    const listed = await page.$$eval(".dashboard-list .el-table__body .name", (names) =>
      names.map((n) => n.innerText.trim()),
    );
    report.line(
      listed.length === 3 ? "PASS" : "FAIL",
      "Dashboard List",
      'search "Flink-Project"',
      listed.join(", ") || "nothing",
    );
    await page.locator(".dashboard-list .el-table__body .name", { hasText: "Flink-Project-Cluster" }).click();
    await user.settle(page);
    await user.pickService(page, service);
    const projectCluster = `Flink-Project-Cluster (${service})`;
    await check(projectCluster, "flink-project-cluster.png");
    for (const [i, tm] of (await user.listedNames(page, "TaskManagers")).entries()) {
      await user.clickListed(page, tm);
      await check(`Flink-Project-TaskManager (${tm})`, i === 0 ? "flink-project-taskmanager.png" : null);
      await user.back(page);
    }
    for (const job of await user.listedNames(page, "Jobs")) {
      await user.clickListed(page, job);
      await check(`Flink-Project-Job (${job})`, job === pictured ? "flink-project-job.png" : null);
      await user.back(page);
    }
    const eventsOf = options["events-job"] || pictured;
    await jobEvents(page, report, projectCluster, eventsOf, path.join(shots, "flink-job-events.png"));
    await checkpointTraces(page, report, service, path.join(shots, "checkpoint-trace.png"));

    // The alarms.
    await user.menu(page, "/alerting");
    await alarms(page, report, service, eventsOf, shots);
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
  console.log(`${report.passed} passed, ${report.failed} failed (${seconds} s)`);
  process.exitCode = report.failed ? 1 : 0;
}

/**
 * The job's events as a user finds them: the event timeline of Flink-Project-Cluster, narrowed to
 * the job with its Endpoint selector. (The timeline of an Endpoint dashboard asks the OAP for the
 * endpoint's ID where events carry its name, and shows nothing: docs/ui.md.)
 */
async function jobEvents(page, report, projectCluster, job, shot) {
  const timeline = page.locator(".event-wrapper");
  const endpointSelect = timeline.locator(".el-select").nth(1);
  await endpointSelect.click();
  await page.locator(".el-select-dropdown:visible .el-select-dropdown__item", { hasText: job }).first().click();
  await timeline.locator(".search-btn").click();
  await user.settle(page);
  const items = await timeline.locator(".vis-item .vis-item-content").allInnerTexts();
  const counts = {};
  items.forEach((name) => (counts[name] = (counts[name] || 0) + 1));
  const shown = Object.entries(counts)
    .map(([name, n]) => `${name} x${n}`)
    .join(", ");
  report.line(
    items.length ? "PASS" : "FAIL",
    `${projectCluster} / events of job ${job}`,
    "Events",
    `${items.length} events: ${shown || "none"}`,
  );
  // The timeline keeps the height it had when it opened; the picture ends below it.
  const top = await timeline.boundingBox();
  const drawn = await timeline.locator(".vis-timeline").boundingBox();
  await page.screenshot({
    path: shot,
    clip: { x: top.x, y: top.y, width: top.width, height: drawn.y + drawn.height + 10 - top.y },
  });
}

/**
 * The checkpoint spans: the link of Flink-Project-Cluster opens the Zipkin view the webapp serves
 * (Zipkin Lens); run its query, open the newest checkpoint trace of the cluster.
 */
async function checkpointTraces(page, report, service, shot) {
  const [lens] = await Promise.all([
    page.context().waitForEvent("page"),
    page.locator(".vue-grid-item a[href^='/zipkin']").first().click(),
  ]);
  await lens.setViewportSize(user.VIEWPORT);
  await lens.waitForLoadState("networkidle");
  await lens.getByRole("button", { name: /run query/i }).click();
  await lens.waitForLoadState("networkidle");
  const rows = lens.locator("tbody tr").filter({ hasText: `${service}: checkpoint` });
  await rows.first().waitFor({ timeout: 15000 }).catch(() => {});
  const found = await rows.count();
  report.line(
    found ? "PASS" : "FAIL",
    "Zipkin (checkpoint traces)",
    "search spanName=checkpoint",
    `${found} traces of ${service}: checkpoint`,
  );
  if (!found) {
    await lens.close();
    return;
  }
  await rows.first().locator("a[href^='/zipkin/traces/']").click();
  await lens.waitForLoadState("networkidle");
  await lens.waitForTimeout(1000);
  const text = await lens.locator("body").innerText();
  const tag = (name) => (text.match(new RegExp(`\\n${name}\\s+(\\S+)`)) || [])[1];
  const status = tag("checkpointStatus");
  const spans = (text.match(/Total Spans\s+(\d+)/) || [])[1];
  report.line(
    status ? "PASS" : "FAIL",
    "Zipkin (checkpoint trace)",
    "trace",
    `${spans} span(s); checkpoint ${tag("checkpointId")} ${status}, job ${tag("job_name")}, ` +
      `fullSize ${tag("fullSize")} bytes, ${(text.match(/Duration\s+(\S+)/) || [])[1]}`,
  );
  await lens.screenshot({ path: shot });
  await lens.close();
}

/** The alarm page: the alarms of the cluster, and the details of the newest one on `job`. */
async function alarms(page, report, service, job, shots) {
  const items = page.locator(".timeline-item");
  const all = await items.allInnerTexts();
  const ours = all.map((t) => t.replace(/\s+/g, " ").trim()).filter((t) => t.includes(service));
  report.line(
    ours.length ? "PASS" : "FAIL",
    "Alerting",
    "alarm list",
    `${ours.length} alarms of ${service}: ${[...new Set(ours.map((t) => t.replace(/^\S+ \S+ /, "")))].join(" | ")}`,
  );
  await user.screenshot(page, path.join(shots, "alarms.png"));
  if (!ours.length) {
    return;
  }
  const onJob = items.filter({ hasText: `job ${job} in ${service}` });
  await ((await onJob.count()) ? onJob : items.filter({ hasText: service })).first().locator(".timeline-table-i").click();
  const dialog = page.locator(".el-dialog");
  await dialog.waitFor();
  await user.settle(page);
  const detail = await dialog.evaluate((d) => {
    const field = (label) => {
      for (const row of d.querySelectorAll(".alarm-detail")) {
        if (row.querySelector(".grey").innerText.trim() === `${label}:`) {
          return row.querySelector(".grey + span").innerText.replace(/\s+/g, " ").trim();
        }
      }
      return "";
    };
    const chart = d.querySelector(".chart") && d.querySelector(".chart").__chart;
    const series = chart ? chart.getOption().series : [];
    const points = series.map((s) => s.data.filter((p) => p[1] !== null && !Number.isNaN(Number(p[1]))));
    const times = points.length && points[0].length ? [points[0][0][0], points[0][points[0].length - 1][0]] : [];
    // An axis label is two lines: the time, then the date.
    const minute = (label) => String(label).split("\n").reverse().join(" ");
    return {
      message: field("Message"),
      start: field("Start Time"),
      tags: field("Tags"),
      events: d.querySelectorAll(".alarm-detail li").length - 1,
      points: points.reduce((n, p) => n + p.length, 0),
      series: series.map((s) => s.name).join(", "),
      times: times.map(minute),
    };
  });
  report.line(
    detail.points ? "PASS" : "FAIL",
    "Alerting / alarm detail",
    detail.message,
    `${detail.tags}, started ${detail.start}; snapshot "${detail.series}": ${detail.points} points drawn at ` +
      `${detail.times.join(" .. ")}; ${detail.events} events attached`,
  );
  await page.screenshot({ path: path.join(shots, "alarm-detail.png") });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
