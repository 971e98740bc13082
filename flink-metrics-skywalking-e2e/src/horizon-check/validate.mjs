// Licensed under the Apache License, Version 2.0 (the "License"); see the LICENSE file.
//
// Runs Horizon UI's own template checks over a layer template as the OAP holds it (the envelope's
// content of a UI Management row). The OAP stores what it is given without validating it; this
// says whether Horizon accepts and can draw it, at both of Horizon's bars:
//   - publish: the schema and cross-reference checks Horizon's admin routes apply before they
//     write a template to the OAP (layerTemplatePushSchema, layerCrossRefIssues);
//   - bundled: the stricter validator its build runs over the templates it ships (no unknown or
//     dropped field, no incomplete widget). A stored row carries `header`, the loader's copy of
//     `layer-header` that a shipped file never has: it is left out here when it equals
//     `layer-header`, and reported when it does not.
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
const templates = join(resolve(args.horizon), "apps", "bff", "src", "logic", "templates");
const { validateBundledTemplates } = await import(pathToFileURL(join(templates, "bundled-validate.ts")).href);
const { layerTemplatePushSchema, layerCrossRefIssues } = await import(
  pathToFileURL(join(templates, "bundled-schema.ts")).href
);
const template = JSON.parse(readFileSync(args.template, "utf8"));
const findings = [];

const pushed = layerTemplatePushSchema.safeParse(template);
if (!pushed.success) {
  for (const issue of pushed.error.issues) {
    findings.push(`publish ${issue.path.join(".") || "(template)"}: ${issue.message}`);
  }
} else {
  for (const issue of layerCrossRefIssues(pushed.data, { complete: false })) {
    findings.push(`publish ${issue.path}: ${issue.message}`);
  }
}

const shipped = { ...template };
if (JSON.stringify(shipped.header) === JSON.stringify(shipped["layer-header"])) {
  delete shipped.header;
}

// The validator reads a folder laid out as Horizon's bundle: layers/<key>.json, overviews/.
const root = mkdtempSync(join(tmpdir(), "horizon-validate-"));
try {
  mkdirSync(join(root, "layers"));
  mkdirSync(join(root, "overviews"));
  writeFileSync(join(root, "layers", `${args.layer.toLowerCase()}.json`), JSON.stringify(shipped, null, 2));
  for (const f of validateBundledTemplates(root)) {
    findings.push(`bundled ${f.path || "(template)"}: ${f.message}`);
  }
  for (const f of findings) {
    console.log(`FINDING ${f}`);
  }
  if (!findings.length) {
    console.log("no findings (publish and bundled bars)");
  }
  process.exitCode = findings.length ? 1 : 0;
} finally {
  rmSync(root, { recursive: true, force: true });
}
