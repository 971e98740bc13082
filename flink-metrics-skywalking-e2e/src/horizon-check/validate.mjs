// Licensed under the Apache License, Version 2.0 (the "License"); see the LICENSE file.
//
// Runs Horizon UI's own template validator (the one its build runs over the templates it ships)
// over a layer template as the OAP holds it: the envelope's content of a UI Management row. The
// OAP stores what it is given without validating it; this says whether Horizon can draw it.
// Prints one line per finding, or "no findings"; exits 1 on any finding.
//
//   <horizon>/apps/bff/node_modules/.bin/tsx validate.mjs --horizon <Horizon source tree>
//       --template <file with the layer template> --layer <layer key, e.g. FLINK>
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
}
for (const required of ["horizon", "template", "layer"]) {
  if (!args[required]) {
    console.error(`--${required} is required (see the header of validate.mjs)`);
    process.exit(2);
  }
}
const validator = join(resolve(args.horizon), "apps", "bff", "src", "logic", "templates", "bundled-validate.ts");
const { validateBundledTemplates } = await import(pathToFileURL(validator).href);

// The validator reads a folder laid out as Horizon's bundle: layers/<key>.json, overviews/.
const root = mkdtempSync(join(tmpdir(), "horizon-validate-"));
try {
  mkdirSync(join(root, "layers"));
  mkdirSync(join(root, "overviews"));
  const template = JSON.parse(readFileSync(args.template, "utf8"));
  writeFileSync(join(root, "layers", `${args.layer.toLowerCase()}.json`), JSON.stringify(template, null, 2));
  const findings = validateBundledTemplates(root);
  for (const f of findings) {
    console.log(`FINDING ${f.file} ${f.path || "(file)"}: ${f.message}`);
  }
  if (!findings.length) {
    console.log("no findings");
  }
  process.exitCode = findings.length ? 1 : 0;
} finally {
  rmSync(root, { recursive: true, force: true });
}
