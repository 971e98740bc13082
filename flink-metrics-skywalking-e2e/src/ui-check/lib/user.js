// Licensed under the Apache License, Version 2.0 (the "License"); see the LICENSE file.
//
// What a user does in SkyWalking's UI, as Playwright steps: open the side bar's menu, pick a time
// range, switch a dashboard's tab, click a row of a list, wait until the page has drawn.
"use strict";

const { settled, contentHeight } = require("./browser");

const VIEWPORT = { width: 1600, height: 1000 };

/** Waits until the page has loaded its data and drawn it (at most timeoutMs). */
async function settle(page, timeoutMs = 30000) {
  await page.waitForLoadState("networkidle", { timeout: timeoutMs }).catch(() => {});
  const deadline = Date.now() + timeoutMs;
  let stable = 0;
  while (stable < 3 && Date.now() < deadline) {
    await page.waitForTimeout(400);
    stable = (await page.evaluate(settled)) ? stable + 1 : 0;
  }
}

/**
 * Clicks the side bar's link to `target` (an href, or a function of an anchor's href and text):
 * the bar shows its groups' links once the pointer rests on a group's icon, so it points at each
 * group in turn until the link shows.
 */
async function menu(page, target) {
  const matches = typeof target === "string" ? (href) => href === target : target;
  const icons = page.locator(".side-bar .el-menu-item .menu-icons, .side-bar .el-sub-menu .menu-icons");
  const count = await icons.count();
  for (let i = 0; i < count; i++) {
    await icons.nth(i).hover();
    for (let t = 0; t < 10; t++) {
      await page.waitForTimeout(250);
      const links = page.locator(".side-bar a[href]");
      for (let j = 0; j < (await links.count()); j++) {
        const link = links.nth(j);
        const href = await link.getAttribute("href");
        const text = (await link.innerText()).trim();
        if (matches(href, text) && (await link.isVisible())) {
          await link.click();
          await page.mouse.move(VIEWPORT.width - 50, VIEWPORT.height - 50);
          await settle(page);
          return href;
        }
      }
    }
    await page.mouse.move(VIEWPORT.width - 50, VIEWPORT.height - 50);
    await page.waitForTimeout(500);
  }
  throw new Error(`the side bar has no link to ${typeof target === "string" ? target : "what is asked"}`);
}

/** Picks "Last 15 mins" in the time picker of the top bar, as a user narrows the charts to now. */
async function lastFifteenMinutes(page) {
  await page.locator(".datepicker input").first().click();
  await page.locator(".datepicker-popup__shortcut").first().click();
  await page.locator(".datepicker__button-select").click();
  await settle(page);
  return (await page.locator(".datepicker input").first().inputValue()).trim();
}

/** Clicks the tab of the dashboard named `name` (tab names are inputs, read-only outside editing). */
async function openTab(page, name) {
  await page.waitForSelector(".tab-header input.tab-name");
  const clicked = await page.evaluate((tab) => {
    for (const input of document.querySelectorAll(".tab-header input.tab-name")) {
      if (input.value === tab) {
        input.closest("span").click();
        return true;
      }
    }
    return false;
  }, name);
  if (!clicked) {
    throw new Error(`the dashboard has no tab ${name}`);
  }
  await settle(page);
}

/** The names a list widget links to (service instances, endpoints, services), in its order. */
async function listedNames(page, widgetTitle) {
  return page.evaluate((title) => {
    const names = [];
    for (const item of document.querySelectorAll(".vue-grid-item")) {
      const header = item.querySelector(".widget > .header");
      if (item.querySelector(".vue-grid-item") || !item.querySelector(".el-table__body")) {
        continue;
      }
      if (title !== null && (!header || header.innerText.trim() !== title)) {
        continue;
      }
      for (const link of item.querySelectorAll(".el-table__body tr td:first-child .link")) {
        names.push(link.innerText.trim());
      }
    }
    return names;
  }, widgetTitle);
}

/** Clicks the link of `name` in a list widget. */
async function clickListed(page, name) {
  const link = page
    .locator(".vue-grid-item .el-table__body tr td .link")
    .filter({ hasText: new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`) })
    .first();
  await link.click();
  await settle(page);
}

/**
 * Picks `service` in the $Service selector of a dashboard opened from the dashboard list, which
 * opens on the layer's first service.
 */
async function pickService(page, service) {
  const selector = page.locator(".dashboard-tool .selectors-item").filter({ hasText: "$Service" }).first();
  const selected = async () => (await selector.locator(".el-select__placeholder").innerText()).trim();
  if ((await selected()) !== service) {
    await selector.locator(".el-select").click();
    await page.locator(".el-select-dropdown:visible .el-select-dropdown__item").filter({ hasText: service }).first().click();
    await settle(page);
  }
  if ((await selected()) !== service) {
    throw new Error(`the $Service selector shows ${await selected()}, not ${service}`);
  }
}

/** Goes back to the page before, as the browser's back button does. */
async function back(page) {
  await page.goBack();
  await settle(page);
}

/**
 * Saves a PNG of the whole page: the UI scrolls inside its own panels, so the window is made as tall
 * as their content first (at most 4000 px), and the charts are given time to draw again.
 */
async function screenshot(page, file) {
  const height = Math.min(await page.evaluate(contentHeight), 4000);
  await page.setViewportSize({ width: VIEWPORT.width, height: Math.max(height, VIEWPORT.height) });
  await settle(page);
  await page.screenshot({ path: file });
  await page.setViewportSize(VIEWPORT);
  await settle(page);
}

module.exports = {
  VIEWPORT,
  settle,
  menu,
  lastFifteenMinutes,
  openTab,
  listedNames,
  clickListed,
  pickService,
  back,
  screenshot,
};
