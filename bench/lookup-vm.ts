// SPDX-License-Identifier: Apache-2.0
//
// open() and exec cost inside the BPF-LSM test VM with vs without Rampart's enforcer, as a
// ratio (absolute TCG timings do not transfer to real hardware; ratios roughly do).
//
//   node --import tsx bench/lookup-vm.ts          (host: compiles the rules, boots the VM)
//
// Three runs of the same Python timing loops in a fresh cgroup: no enforcer loaded; enforcer
// loaded but this cgroup not enforced; this cgroup enforced with 60 file and 20 process rules
// (none matching the measured paths, so every access walks the full lookup).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";

const OPENS = 20000;
const EXECS = 200;
const TIMING = `import os,time,subprocess
t=time.perf_counter()
for _ in range(${OPENS}): os.close(os.open('/dev/shm/rp-bench-file', os.O_RDONLY))
o=(time.perf_counter()-t)/${OPENS}*1e9
t=time.perf_counter()
for _ in range(${EXECS}): subprocess.run(['/usr/bin/true'])
e=(time.perf_counter()-t)/${EXECS}*1e6
print(f"{o:.0f} {e:.0f}")`;

function measure(cg: string): [number, number] {
  const out = execFileSync("sh", ["-c", `echo $$ > ${cg}/cgroup.procs && exec python3 -c "$0"`, TIMING], {
    encoding: "utf8",
  });
  const [o, e] = out.trim().split(" ").map(Number);
  return [o!, e!];
}

async function guest(rulesFile: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const native = require(
    `${process.env.RAMPART_ROOT ?? process.cwd()}/native/index.js`,
  ) as typeof import("../native/index.js");
  const rs = JSON.parse(readFileSync(rulesFile, "utf8")) as Record<string, string>;
  writeFileSync("/dev/shm/rp-bench-file", "x"); // tmpfs: keep 9p out of the figure
  const cg = "/sys/fs/cgroup/rp-bench";
  mkdirSync(cg, { recursive: true });
  const base = measure(cg);
  const e = native.Enforcer.start({ enforcer: true, pinDir: "/sys/fs/bpf/rampart-bench-vm" }, () => {});
  const loaded = measure(cg);
  await e.apply(BigInt(statSync(cg).ino), {
    workload: Buffer.from(rs.workload!, "hex"),
    rules: Buffer.from(rs.rules!, "hex"),
    globAnchors: Buffer.from(rs.globAnchors!, "hex"),
    globs: Buffer.from(rs.globs!, "hex"),
  });
  const enforced = measure(cg);
  e.stop(true);
  const row = (name: string, [o, x]: [number, number]): string =>
    `  ${name.padEnd(34)} open ${String(o).padStart(6)} ns (x${(o / base[0]).toFixed(2)})   exec ${String(x).padStart(6)} µs (x${(x / base[1]).toFixed(2)})`;
  console.log(`lookup-vm: ${OPENS} opens, ${EXECS} execs per run, Debian 6.1 under TCG`);
  console.log(row("no enforcer", base));
  console.log(row("enforcer loaded, cgroup not enforced", loaded));
  console.log(row("cgroup enforced (80 rules)", enforced));
}

async function host(): Promise<void> {
  const { compileBpf, toBinary } = await import("../enforcer/compilers/bpf/compile.js");
  const { dir, effective, file, path, proc } = await import("../enforcer/compilers/fixtures.js");
  const rules = [
    ...Array.from({ length: 40 }, (_, i) => file("Block", path(`/srv/data/file-${i}`))),
    ...Array.from({ length: 20 }, (_, i) => file("Block", dir(`/var/secret-${i}/`, true))),
    ...Array.from({ length: 20 }, (_, i) => proc("Block", path(`/opt/tools/bin-${i}`))),
  ];
  const r = compileBpf(effective(rules));
  if (!r.ok) throw new Error("compile failed");
  const b = toBinary(r.value);
  const cat = (es: Array<{ key: Buffer; value: Buffer }>): string =>
    Buffer.concat(es.flatMap(x => [x.key, x.value])).toString("hex");
  const dirOut = mkdtempSync("/tmp/rampart-bench-vm-");
  writeFileSync(
    `${dirOut}/rules.json`,
    JSON.stringify({
      workload: b.workload.toString("hex"),
      rules: cat(b.rules),
      globAnchors: cat(b.anchors),
      globs: cat(b.globs),
    }),
  );
  execFileSync(
    "npx",
    [
      "--no-install",
      "esbuild",
      "bench/lookup-vm.ts",
      "--bundle",
      "--platform=node",
      "--format=cjs",
      "--log-level=warning",
      `--outfile=${dirOut}/guest.cjs`,
    ],
    { stdio: "inherit" },
  );
  try {
    execFileSync("test/vm/run", ["node", `${dirOut}/guest.cjs`, "--guest", `${dirOut}/rules.json`], {
      stdio: "inherit",
    });
  } finally {
    rmSync(dirOut, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--guest") void guest(process.argv[3]!);
else void host();
