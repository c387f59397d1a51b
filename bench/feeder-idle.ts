// SPDX-License-Identifier: Apache-2.0
//
// Idle RSS of the alert pipeline as it ships (one esbuild bundle, no tsx in the process):
// Feeder listening + metrics registry + throttle loaded, no clients. Prints one figure.
// Usage: node --import tsx bench/feeder-idle.ts   (bundle cached in /var/cache/rampart/bench)

import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const repo = join(dirname(__filename), "..");
const dir = "/var/cache/rampart/bench";
mkdirSync(dir, { recursive: true });
const entry = join(dir, "feeder-idle-entry.ts");
writeFileSync(
  entry,
  `import { Feeder } from ${JSON.stringify(join(repo, "enforcer/feeder/feeder.js"))};
import { AlertThrottle } from ${JSON.stringify(join(repo, "enforcer/events/throttle.js"))};
import { getMetrics } from ${JSON.stringify(join(repo, "enforcer/metrics/metrics.js"))};
const f = new Feeder({ address: "127.0.0.1:0" });
await f.start();
const t = new AlertThrottle();
const m = getMetrics(); m.attachFeeder(() => f.stats()); m.attachThrottle(() => t.stats());
await m.text();
setTimeout(() => { global.gc?.(); setTimeout(() => { console.log((process.memoryUsage().rss / 1048576).toFixed(1)); process.exit(0); }, 500); }, 1000);
`,
);
async function main(): Promise<void> {
  const out = join(dir, "feeder-idle.mjs");
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    nodePaths: [join(repo, "node_modules")],
    banner: { js: 'import { createRequire as __cr } from "module"; const require = __cr(import.meta.url);' },
  });
  const rss = execFileSync(process.execPath, ["--expose-gc", out], { encoding: "utf8" }).trim();
  console.log(`idle RSS of the bundled feeder + metrics + throttle: ${rss} MiB`);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
