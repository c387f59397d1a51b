// SPDX-License-Identifier: Apache-2.0
//
// `rampart probe`: report what this node's kernel supports, as text or JSON.

import { checkBpfLsmLoad } from "../../probe/bpf-lsm.js";
import { formatProbeReport } from "../../probe/format.js";
import { rootedFsReader } from "../../probe/fs-reader.js";
import { probeNode } from "../../probe/probe.js";

export const help = `Usage: rampart probe [--output text|json] [--no-native] [--root DIR]

Report what this node supports: kernel release, active LSMs, AppArmor, SELinux, BTF, bpffs,
cgroup v2 mounts, and whether a BPF-LSM program can actually be loaded. The load check uses the
native addon's probe() when native/index.js is built (a canary LSM program; the kernel's errno is
reported, e.g. "unsupported: EPERM"), else \`bpftool feature probe kernel\`; the method is shown.

Flags:
  -o, --output FORMAT  text (default) or json
  --no-native          do not use the native addon for the BPF-LSM load check
  --root DIR           read /proc and /sys under DIR instead of / (for fixtures; the load
                       check still runs against the live kernel)

Exit status: 0 when probed (even if nothing is supported), 2 on a usage error.`;

export async function run(argv: string[]): Promise<number> {
  let output = "text";
  let root = "/";
  let noNative = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    const value = (): string | undefined => {
      const eq = a.indexOf("=");
      if (eq > 0) return a.slice(eq + 1);
      i++;
      return argv[i];
    };
    const flag = a.includes("=") ? a.slice(0, a.indexOf("=")) : a;
    if (flag === "-o" || flag === "--output") {
      const v = value();
      if (v !== "text" && v !== "json") {
        process.stderr.write(
          `rampart probe: --output must be text or json, got ${v === undefined ? "nothing" : JSON.stringify(v)}\n`,
        );
        return 2;
      }
      output = v;
    } else if (flag === "--root") {
      const v = value();
      if (!v) {
        process.stderr.write("rampart probe: --root needs a directory\n");
        return 2;
      }
      root = v;
    } else if (a === "--no-native") {
      noNative = true;
    } else {
      process.stderr.write(`rampart probe: unknown argument ${JSON.stringify(a)}\n${help}\n`);
      return 2;
    }
  }
  const report = await probeNode({
    fs: rootedFsReader(root),
    bpfLsmLoad: () => checkBpfLsmLoad({ noNative }),
  });
  process.stdout.write(
    (output === "json" ? JSON.stringify(report, null, 2) : formatProbeReport(report)) + "\n",
  );
  return 0;
}
