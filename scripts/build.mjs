// SPDX-License-Identifier: Apache-2.0
// Bundles the node-side CLI/daemon into dist/rampart.cjs. The native addon and Pepr are
// left external: the addon is loaded from native/ at run time, Pepr builds its own bundle.
import { build } from "esbuild";

await build({
  entryPoints: ["enforcer/cli/main.ts"],
  outfile: "dist/rampart.cjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: true,
  external: ["*.node", "../../native/index.js", "pepr"],
  logLevel: "warning",
});
