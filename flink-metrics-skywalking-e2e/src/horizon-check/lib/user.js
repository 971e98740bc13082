// Licensed under the Apache License, Version 2.0 (the "License"); see the LICENSE file.
//
// What a user does in Horizon UI, as Playwright steps: sign in, pick a time range, open a row of a
// layer's side-bar menu, pick a TaskManager or a job, wait until the page has drawn, take a picture.
"use strict";

const { settled, contentHeight } = require("./page");

const VIEWPORT = { width: 1600, height: 1000 };

/** Waits until the page has loaded its data and drawn it (at most timeoutMs). */
async function settle(page, timeoutMs = 45000) {
  await page.waitForLoadState("networkidle", { timeout: timeoutMs }).catch(() => {});
  const deadline = Date.now() + timeoutMs;
  let stable = 0;
  while (stable < 3 && Date.now() < deadline) {
    await page.waitForTimeout(400);
    stable = (await page.evaluate(settled)) ? stable + 1 : 0;
  }
}

/** Signs in on the login page with a local user. */
async function signIn(page, url, user, password) {
  await page.goto(`${url}/login`);
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", password);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/api/auth/login")),
    page.click("button.sign-in"),
  ]);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
}

/** Picks a preset of the top bar's time range ("Last 15 minutes"), as a user narrows to now. */
async function timeRange(page, label) {
  await page.locator(".time-trigger").first().click();
  await page.locator(".tr-menu .tr-item", { hasText: label }).first().click();
  await settle(page);
  return (await page.locator(".time-trigger").first().innerText()).replace(/\s+/g, " ").trim();
}

/** The rows of a layer's menu in the side bar, as the user reads them, with where each leads. */
async function menuRows(page, layerKey) {
  return page.$$eval(`.layer-children a.sw-nav-item[href^="/layer/${layerKey}/"]`, (links) =>
    links.map((a) => ({ name: a.innerText.replace(/\s+\d+$/, "").trim(), href: a.getAttribute("href") })),
  );
}

/** Clicks the row of the side bar's layer menu that leads to `path` (e.g. service/flink-project-cluster). */
async function openMenuRow(page, layerKey, path) {
  const link = page.locator(`.layer-children a.sw-nav-item[href^="/layer/${layerKey}/${path}"]`).first();
  const href = await link.getAttribute("href");
  if (!href || !(href.split("?")[0] === `/layer/${layerKey}/${path}`)) {
    throw new Error(`the side bar has no row for /layer/${layerKey}/${path}`);
  }
  await link.click();
  await page.waitForURL((u) => u.pathname === `/layer/${layerKey}/${path}`);
  await settle(page);
}

/** The names the page's TaskManager or job picker lists. */
async function pickerNames(page) {
  await page.locator(".instance-bar .ib-list .ib-name").first().waitFor({ timeout: 30000 });
  return page.$$eval(".instance-bar .ib-list .ib-name", (names) => names.map((n) => n.innerText.trim()));
}

/** Picks a TaskManager or job in the page's picker. */
async function pick(page, name) {
  const row = page.locator(".instance-bar .ib-list .ib-row").filter({
    has: page.locator(".ib-name", { hasText: new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`) }),
  });
  await row.locator(".ib-pick-btn").first().click();
  await settle(page);
}

/**
 * Saves a PNG of the whole page: Horizon scrolls inside its own panel, so the window is made as
 * tall as that panel's content first (at most 4000 px), and the charts are given time to draw.
 */
async function screenshot(page, file) {
  // A taller window can lay the page out anew (widgets of a grid take the height they are given).
  for (let i = 0; i < 3; i++) {
    const height = Math.min(await page.evaluate(contentHeight), 4000);
    if (height <= page.viewportSize().height) {
      break;
    }
    await page.setViewportSize({ width: VIEWPORT.width, height });
    await settle(page);
  }
  await page.screenshot({ path: file });
  await page.setViewportSize(VIEWPORT);
  await settle(page);
}

module.exports = { VIEWPORT, settle, signIn, timeRange, menuRows, openMenuRow, pickerNames, pick, screenshot };
