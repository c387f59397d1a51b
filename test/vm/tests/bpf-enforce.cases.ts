// SPDX-License-Identifier: Apache-2.0
//
// Host side of the bpf-enforce VM test: the cases (policy + commands + expectations), each
// policy compiled by Rampart's BPF compiler (enforcer/compilers/bpf) into the exact map
// entries the guest applies with Enforcer.apply(). Written to $VM_TEST_WORK/cases.json.
//
// Every command runs in the guest inside the case's own cgroup (the scope) and, for denials,
// a second time outside any scope, where it must succeed.
import { writeFileSync } from "node:fs";
import { compileBpf, toBinary } from "../../../enforcer/compilers/bpf/compile.js";
import {
  cap,
  dir,
  effective,
  execname,
  file,
  net,
  path,
  pattern,
  proc,
} from "../../../enforcer/compilers/fixtures.js";
import type { EffectivePolicy } from "../../../enforcer/model/types.js";

/** A command and what must happen. `event` = the one record a denial/audit must produce. */
export interface Step {
  what: string;
  cmd: string;
  expect: "denied" | "allowed" | "audited";
  /** Expected event: op name (events.ts Op) and path (exact, or a suffix with a leading "…"). */
  event?: { op: string; path?: string; posture?: boolean; ruleId?: boolean };
  /** Also run outside the scope, where it must succeed (default: for denials). */
  outside?: boolean;
}

export interface VmCase {
  name: string;
  steps: Step[];
  ruleSet: { workload: string; rules: string; globAnchors: string; globs: string };
}

const R = "/opt/rp";
const DEEP =
  `${R}/deep/` + Array.from({ length: 24 }, (_, i) => `level-${String(i).padStart(2, "0")}-dir`).join("/");
export const DEEP_DIR = DEEP;
const py = (code: string): string => `python3 -c "import socket,sys\n${code}"`;

function c(
  name: string,
  policy: EffectivePolicy,
  steps: Step[],
): { name: string; policy: EffectivePolicy; steps: Step[] } {
  return { name, policy, steps };
}

const ALLOW_SYSTEM = [
  proc("Allow", dir("/usr/", true)),
  file("Allow", dir("/usr/", true)),
  file("Allow", dir("/etc/", true)),
  file("Allow", dir("/dev/", true)),
  file("Allow", dir("/proc/", true)),
];

export function cases(): Array<{ name: string; policy: EffectivePolicy; steps: Step[] }> {
  return [
    c("exec-path", effective([proc("Block", path("/usr/bin/id"))]), [
      {
        what: "exec of the blocked binary",
        cmd: "/usr/bin/id",
        expect: "denied",
        event: { op: "EXEC", path: "/usr/bin/id", ruleId: true },
      },
      {
        what: "exec through the /bin symlink",
        cmd: "/bin/id",
        expect: "denied",
        event: { op: "EXEC", path: "/usr/bin/id" },
        outside: false,
      },
      { what: "another binary", cmd: "/usr/bin/whoami", expect: "allowed" },
      {
        what: "a hard link to the blocked binary (another name for it)",
        cmd: `ln -f /usr/bin/id ${R}/id-link`,
        expect: "denied",
        event: { op: "LINK", path: "/usr/bin/id", ruleId: true },
      },
    ]),
    c("exec-dir", effective([proc("Block", dir(`${R}/bin/`))]), [
      {
        what: "binary in the dir",
        cmd: `${R}/bin/t1`,
        expect: "denied",
        event: { op: "EXEC", path: `${R}/bin/t1` },
      },
      { what: "binary in a subdir (not recursive)", cmd: `${R}/bin/sub/t2`, expect: "allowed" },
      { what: "binary elsewhere", cmd: `${R}/other/t3`, expect: "allowed" },
    ]),
    c("exec-recursive", effective([proc("Block", dir(`${R}/rec/`, true))]), [
      {
        what: "binary 2 levels down",
        cmd: `${R}/rec/a/b/t`,
        expect: "denied",
        event: { op: "EXEC", path: `${R}/rec/a/b/t` },
      },
      { what: "binary elsewhere", cmd: `${R}/other/t3`, expect: "allowed" },
    ]),
    c("exec-fromsource", effective([proc("Block", path(`${R}/src/tf`), { fromSource: ["/usr/bin/dash"] })]), [
      {
        what: "exec by dash",
        cmd: `${R}/src/tf`,
        expect: "denied",
        event: { op: "EXEC", path: `${R}/src/tf` },
      },
      { what: "exec by env (another source)", cmd: `/usr/bin/env ${R}/src/tf`, expect: "allowed" },
    ]),
    c("exec-execname", effective([proc("Block", execname("tname"))]), [
      {
        what: "a binary with that name, anywhere",
        cmd: `${R}/x/y/tname`,
        expect: "denied",
        event: { op: "EXEC", path: `${R}/x/y/tname` },
      },
      { what: "another name", cmd: `${R}/other/t3`, expect: "allowed" },
    ]),
    c("exec-owneronly", effective([proc("Block", path(`${R}/own/tool`), { ownerOnly: true })]), [
      {
        what: "exec by a non-owner (root; the file belongs to 1000)",
        cmd: `${R}/own/tool`,
        expect: "denied",
        event: { op: "EXEC", path: `${R}/own/tool` },
      },
      {
        what: "exec by the owner (uid 1000)",
        cmd: `setpriv --reuid 1000 --regid 1000 --clear-groups ${R}/own/tool`,
        expect: "allowed",
      },
    ]),
    c("exec-glob", effective([proc("Block", pattern(`${R}/glob/*.sh`))]), [
      {
        what: "a matching name",
        cmd: `${R}/glob/a.sh`,
        expect: "denied",
        event: { op: "EXEC", path: `${R}/glob/a.sh` },
      },
      { what: "a non-matching name", cmd: `${R}/glob/a.py`, expect: "allowed" },
    ]),
    c("file-path", effective([file("Block", path(`${R}/files/secret`))]), [
      {
        what: "read of the blocked file",
        cmd: `cat ${R}/files/secret`,
        expect: "denied",
        event: { op: "OPEN", path: `${R}/files/secret`, ruleId: true },
      },
      {
        what: "read through a relative path",
        cmd: `cd ${R}/files && cat ./secret`,
        expect: "denied",
        event: { op: "OPEN", path: `${R}/files/secret` },
      },
      {
        what: "write of the blocked file",
        cmd: `echo x >> ${R}/files/secret`,
        expect: "denied",
        event: { op: "OPEN", path: `${R}/files/secret` },
      },
      { what: "another file", cmd: `cat ${R}/files/public`, expect: "allowed" },
    ]),
    c("file-readonly", effective([file("Block", path(`${R}/files/ro`), { readOnly: true })]), [
      { what: "read allowed", cmd: `cat ${R}/files/ro`, expect: "allowed" },
      {
        what: "append denied",
        cmd: `echo x >> ${R}/files/ro`,
        expect: "denied",
        event: { op: "OPEN", path: `${R}/files/ro` },
      },
      {
        what: "a hard link to write it through another name",
        cmd: `ln -f ${R}/files/ro ${R}/files/ro-link`,
        expect: "denied",
        event: { op: "LINK", path: `${R}/files/ro` },
      },
    ]),
    c("file-owneronly", effective([file("Block", path(`${R}/own/data`), { ownerOnly: true })]), [
      {
        what: "read by a non-owner (root)",
        cmd: `cat ${R}/own/data`,
        expect: "denied",
        event: { op: "OPEN", path: `${R}/own/data` },
      },
      {
        what: "read by the owner (uid 1000)",
        cmd: `setpriv --reuid 1000 --regid 1000 --clear-groups cat ${R}/own/data`,
        expect: "allowed",
      },
    ]),
    c("file-recursive", effective([file("Block", dir(`${R}/fdir/`, true))]), [
      {
        what: "a file 3 levels down",
        cmd: `cat ${R}/fdir/a/b/c/f`,
        expect: "denied",
        event: { op: "OPEN", path: `${R}/fdir/a/b/c/f` },
      },
      { what: "a sibling dir", cmd: `cat ${R}/files/public`, expect: "allowed" },
    ]),
    c(
      "file-deep",
      effective([file("Block", dir(`${R}/deep/`, true)), file("Block", path(`${DEEP}/exact`))]),
      [
        {
          what: `a path of ${DEEP.length + 6} chars, 26 components (recursive dir rule)`,
          cmd: `cat ${DEEP}/f`,
          expect: "denied",
          event: { op: "OPEN", path: `${DEEP}/f` },
        },
        {
          what: "the same depth through a relative path",
          cmd: `cd ${DEEP} && cat ./f`,
          expect: "denied",
          event: { op: "OPEN", path: `${DEEP}/f` },
        },
      ],
    ),
    c("net-tcp", effective([net("Block", "tcp")]), [
      {
        what: "TCP socket",
        cmd: py("socket.socket(socket.AF_INET, socket.SOCK_STREAM)"),
        expect: "denied",
        event: { op: "SOCKET" },
      },
      { what: "UDP socket", cmd: py("socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"), expect: "allowed" },
    ]),
    c("net-udp", effective([net("Block", "udp")]), [
      {
        what: "UDP socket",
        cmd: py("socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"),
        expect: "denied",
        event: { op: "SOCKET" },
      },
      { what: "TCP socket", cmd: py("socket.socket(socket.AF_INET, socket.SOCK_STREAM)"), expect: "allowed" },
    ]),
    c("net-icmp", effective([net("Block", "icmp")]), [
      {
        what: "ICMP socket",
        cmd: py("socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"),
        expect: "denied",
        event: { op: "SOCKET" },
      },
      { what: "TCP socket", cmd: py("socket.socket(socket.AF_INET, socket.SOCK_STREAM)"), expect: "allowed" },
    ]),
    c("net-raw", effective([net("Block", "raw")]), [
      {
        what: "raw socket",
        cmd: py("socket.socket(socket.AF_INET, socket.SOCK_RAW, 255)"),
        expect: "denied",
        event: { op: "SOCKET" },
      },
      { what: "UDP socket", cmd: py("socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"), expect: "allowed" },
    ]),
    c("cap-net-raw", effective([cap("Block", "net_raw")]), [
      {
        what: "raw ICMP socket needs CAP_NET_RAW",
        cmd: py("socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"),
        expect: "denied",
        event: { op: "CAPABLE" },
      },
      {
        what: "TCP socket needs no capability",
        cmd: py("socket.socket(socket.AF_INET, socket.SOCK_STREAM)"),
        expect: "allowed",
      },
    ]),
    c(
      "allowlist-block",
      effective([...ALLOW_SYSTEM, file("Allow", path(`${R}/wl/ok`))], { postures: { file: "block" } }),
      [
        { what: "the allowed file", cmd: `cat ${R}/wl/ok`, expect: "allowed" },
        {
          what: "any other file (default posture block)",
          cmd: `cat ${R}/wl/no`,
          expect: "denied",
          event: { op: "OPEN", path: `${R}/wl/no`, posture: true },
        },
        {
          what: "a binary outside the process allow-list",
          cmd: `${R}/other/t3`,
          expect: "denied",
          event: { op: "EXEC", path: `${R}/other/t3`, posture: true },
        },
      ],
    ),
    c(
      "allowlist-audit",
      effective([...ALLOW_SYSTEM, file("Allow", path(`${R}/wl/ok`))], { postures: { file: "audit" } }),
      [
        { what: "the allowed file", cmd: `cat ${R}/wl/ok`, expect: "allowed" },
        {
          what: "another file is audited, not denied",
          cmd: `cat ${R}/wl/no`,
          expect: "audited",
          event: { op: "OPEN", path: `${R}/wl/no`, posture: true },
        },
      ],
    ),
    c("audit-rule", effective([file("Audit", path(`${R}/aud/f`)), proc("Audit", path("/usr/bin/id"))]), [
      {
        what: "file audit rule",
        cmd: `cat ${R}/aud/f`,
        expect: "audited",
        event: { op: "OPEN", path: `${R}/aud/f`, ruleId: true },
      },
      {
        what: "process audit rule",
        cmd: "/usr/bin/id",
        expect: "audited",
        event: { op: "EXEC", path: "/usr/bin/id", ruleId: true },
      },
    ]),
  ];
}

function main(): number {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write("usage: bpf-enforce.cases.ts OUT.json\n");
    return 2;
  }
  const res: VmCase[] = [];
  for (const k of cases()) {
    const r = compileBpf(k.policy);
    if (!r.ok) {
      process.stderr.write(`case ${k.name}: BPF compile failed: ${JSON.stringify(r.errors ?? r)}\n`);
      return 1;
    }
    const b = toBinary(r.value);
    const cat = (es: Array<{ key: Buffer; value: Buffer }>): string =>
      Buffer.concat(es.flatMap(e => [e.key, e.value])).toString("hex");
    res.push({
      name: k.name,
      steps: k.steps,
      ruleSet: {
        workload: b.workload.toString("hex"),
        rules: cat(b.rules),
        globAnchors: cat(b.anchors),
        globs: cat(b.globs),
      },
    });
  }
  writeFileSync(out, JSON.stringify({ deepDir: DEEP, cases: res }, null, 1));
  process.stdout.write(`bpf-enforce: ${res.length} cases written to ${out}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main();
