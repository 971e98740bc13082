// Licensed under the Apache License, Version 2.0 (the "License"); see the LICENSE file.
//
// Serves SkyWalking's web UI as its own webapp does (apm-webapp's ApplicationStartUp): the built UI
// with /graphql going to the OAP's REST port, and Zipkin Lens under /zipkin with /zipkin/api and
// /zipkin/config.json going to the OAP's Zipkin query port. The UI itself is served by its own
// `vite preview`, whose proxy sends /graphql to the OAP (VITE_SW_PROXY_TARGET); a small front server
// adds the /zipkin routes, which that proxy lacks.
"use strict";

const fs = require("fs");
const http = require("http");
const net = require("net");
const path = require("path");
const { spawn } = require("child_process");

/** A free TCP port on 127.0.0.1 (free when asked). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once http://127.0.0.1:port/ answers, or rejects after timeoutMs. */
async function awaitHttp(port, timeoutMs, process) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) {
      throw new Error(`vite preview exited with ${process.exitCode}`);
    }
    const ok = await new Promise((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/" }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
      req.setTimeout(2000, () => req.destroy());
    });
    if (ok) {
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`nothing answered on port ${port} within ${timeoutMs} ms`);
}

/** Forwards a request to target (a URL's origin), path and query unchanged. */
function forward(req, res, target) {
  const url = new URL(target);
  const upstream = http.request(
    {
      host: url.hostname,
      port: url.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: url.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", (e) => {
    res.writeHead(502, { "content-type": "text/plain" });
    res.end(`${target}: ${e.message}`);
  });
  req.pipe(upstream);
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "application/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".svg": "image/svg+xml",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
};

/** A file of Zipkin Lens, or its index.html for the routes of the single-page app. */
function lensFile(res, lensDir, urlPath) {
  const relative = decodeURIComponent(urlPath.replace(/^\/zipkin\/?/, ""));
  let file = path.join(lensDir, relative);
  if (!file.startsWith(lensDir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    file = path.join(lensDir, "index.html");
  }
  res.writeHead(200, { "content-type": TYPES[path.extname(file)] || "application/octet-stream" });
  fs.createReadStream(file).pipe(res);
}

/**
 * Starts vite preview of uiDir (its dist/, with the UI's own node_modules) and the front server;
 * returns { url, close }. close() ends vite by its PID and stops the front server.
 */
async function serveUi({ uiDir, oap, zipkin, lensDir, log }) {
  const vitePort = await freePort();
  const vite = spawn(
    process.execPath,
    [
      path.join(uiDir, "node_modules", "vite", "bin", "vite.js"),
      "preview",
      "--host",
      "127.0.0.1",
      "--port",
      String(vitePort),
      "--strictPort",
    ],
    {
      cwd: uiDir,
      env: { ...process.env, VITE_SW_PROXY_TARGET: oap },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let viteOutput = "";
  vite.stdout.on("data", (d) => (viteOutput += d));
  vite.stderr.on("data", (d) => (viteOutput += d));
  const stopVite = () => {
    if (vite.exitCode === null && vite.signalCode === null) {
      process.kill(vite.pid, "SIGTERM");
    }
  };
  let front;
  try {
    await awaitHttp(vitePort, 60000, vite);
    log(`vite preview (pid ${vite.pid}) serves ${uiDir}/dist on port ${vitePort}`);
    const frontPort = await freePort();
    front = http.createServer((req, res) => {
      const urlPath = req.url.split("?")[0];
      if (urlPath === "/zipkin/config.json" || urlPath.startsWith("/zipkin/api/")) {
        forward(req, res, zipkin);
      } else if (urlPath === "/zipkin" || urlPath.startsWith("/zipkin/")) {
        lensFile(res, lensDir, urlPath);
      } else {
        forward(req, res, `http://127.0.0.1:${vitePort}`);
      }
    });
    await new Promise((resolve, reject) => {
      front.once("error", reject);
      front.listen(frontPort, "127.0.0.1", resolve);
    });
    return {
      url: `http://127.0.0.1:${frontPort}`,
      close: () => {
        front.closeAllConnections();
        front.close();
        stopVite();
      },
    };
  } catch (e) {
    stopVite();
    throw new Error(`${e.message}\nvite preview said:\n${viteOutput}`);
  }
}

module.exports = { serveUi };
