#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Runs the bundled CLI (dist/rampart.cjs, built by `npm run build`); falls back to the
// TypeScript sources through tsx in a development checkout.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const bundled = path.join(__dirname, "..", "dist", "rampart.cjs");
if (fs.existsSync(bundled)) {
  // The bundle runs main() itself when argv[1] is this launcher (enforcer/cli/main.ts `isEntry`);
  // calling main() here as well would run every command twice.
  require(bundled);
} else {
  const { spawnSync } = require("node:child_process");
  const main = path.join(__dirname, "..", "enforcer", "cli", "main.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", main, ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  process.exitCode = r.status === null ? 1 : r.status;
}
