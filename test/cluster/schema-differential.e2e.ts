// SPDX-License-Identifier: Apache-2.0
//
// Differential test against a real kube-apiserver: seeded mutations of the example policies
// are applied with `kubectl apply --dry-run=server --validate=strict` (kubectl's default field
// validation) to an API server that has manifests/crds installed, and every object's
// accept/reject must equal Rampart's schema stage (schemaErrors). This pins "exactly what
// the API server rejects is rejected", including null pruning and unknown fields.
//
// The API server must answer on its own, so this test starts a private plane without Rampart's
// webhook (test/cluster/private-plane.ts; the suite's plane has the webhook, which would reject
// for semantic reasons first). Part of the cluster suite; on its own (root, cached build):
//   node --import tsx --test test/cluster/schema-differential.e2e.ts
// RAMPART_APISERVER_DIFF_N (default 1500) and RAMPART_APISERVER_DIFF_SEED change the sample.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { parseDocuments } from "../../enforcer/model/parse.js";
import { POLICY_KINDS, schemaErrors } from "../../enforcer/model/validate.js";
import type { PolicyKind } from "../../enforcer/model/types.js";
import { privatePlaneUnavailable, startPrivatePlane, type PrivatePlane } from "./private-plane.js";

const ROOT = join(import.meta.dirname, "..", "..");
const N = Number(process.env.RAMPART_APISERVER_DIFF_N ?? 1500);
const SEED = Number(process.env.RAMPART_APISERVER_DIFF_SEED ?? 777);

const unavailable = privatePlaneUnavailable();
const work = mkdtempSync(join(tmpdir(), "rampart-apiserver-diff-"));
let plane: PrivatePlane | undefined;
before(async () => {
  if (!unavailable) plane = await startPrivatePlane(join(work, "plane"));
});
after(() => {
  plane?.stop();
  rmSync(work, { recursive: true, force: true });
});

type Obj = Record<string, unknown>;
const VALUES: unknown[] = [
  "",
  "/",
  "/bin/ls",
  "/bin/ls/",
  "/etc/",
  "bin",
  "tcp",
  "xtcp",
  "tcp,udp",
  "Tcp",
  "net_raw",
  "cap_net_raw",
  "NET_RAW",
  "block",
  "Block",
  "Allow",
  "label",
  "namespace",
  "In",
  "Exists",
  "unlink",
  "openat2",
  0,
  1,
  10,
  11,
  2.5,
  -1,
  2147483648,
  true,
  "true",
  null,
  [],
  {},
  ["a"],
  [1],
  [null],
  "x".repeat(201),
  "/" + "a".repeat(199),
  "/" + "a".repeat(200),
  { path: "/x" },
  { path: null },
  { bogus: 1 },
];
const KEYS = [
  "path",
  "dir",
  "execname",
  "pattern",
  "recursive",
  "ownerOnly",
  "readOnly",
  "pts",
  "fromSource",
  "allowedArgs",
  "action",
  "severity",
  "tags",
  "message",
  "protocol",
  "capability",
  "domain",
  "syscall",
  "matchPaths",
  "matchDirectories",
  "selector",
  "nodeSelector",
  "matchLabels",
  "matchExpressions",
  "key",
  "operator",
  "values",
  "apparmor",
  "presets",
  "class",
  "level",
  "subClass",
  "bogus",
];

const skip = unavailable ?? false;
test(
  "schema stage agrees with a real kube-apiserver (strict field validation)",
  { skip, timeout: 600_000 },
  () => {
    const bin = plane!.kubectl;
    const env = { ...process.env, KUBECONFIG: plane!.kubeconfig };
    const crds = spawnSync(bin, ["get", "crd", "kubearmorpolicies.security.kubearmor.com"], {
      encoding: "utf8",
      env,
    });
    assert.equal(crds.status, 0, `the private API server has no KubeArmor CRDs: ${crds.stderr}`);
    const seeds: Obj[] = [];
    for (const dir of ["examples/policies", "examples/host", "examples/invalid"])
      for (const f of readdirSync(join(ROOT, dir)).sort())
        for (const d of parseDocuments(readFileSync(join(ROOT, dir, f), "utf8"), f)) {
          const o = d.object as Obj | undefined;
          if (o && (POLICY_KINDS as readonly unknown[]).includes(o.kind)) seeds.push(o);
        }
    let state = SEED;
    const rnd = (): number => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x7fffffff;
    };
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    const dir = join(work, "diff");
    {
      mkdirSync(join(dir, "objs"), { recursive: true });
      const expectAccept = new Map<string, boolean>();
      for (let i = 0; i < N; i++) {
        const o = structuredClone(seeds[i % seeds.length]);
        const slots: Array<[Obj | unknown[], string | number]> = [];
        const visit = (n: unknown): void => {
          if (Array.isArray(n)) n.forEach((x, j) => (slots.push([n, j]), visit(x)));
          else if (n && typeof n === "object")
            for (const k of Object.keys(n)) {
              slots.push([n as Obj, k]);
              visit((n as Obj)[k]);
            }
        };
        visit(o.spec);
        if (slots.length) {
          const [p, k] = pick(slots);
          const c = p as Record<string | number, unknown>;
          const op = rnd();
          if (op < 0.6) c[k] = structuredClone(pick(VALUES));
          else if (op < 0.8) {
            if (Array.isArray(p)) p.splice(k as number, 1);
            else delete c[k];
          } else if (c[k] && typeof c[k] === "object" && !Array.isArray(c[k]))
            (c[k] as Obj)[pick(KEYS)] = structuredClone(pick(VALUES));
        }
        o.metadata = { name: `diff-${i}`, ...(o.kind === "KubeArmorPolicy" ? { namespace: "default" } : {}) };
        const file = `o${String(i).padStart(5, "0")}.yaml`;
        expectAccept.set(file, schemaErrors(o, o.kind as PolicyKind).length === 0);
        writeFileSync(join(dir, "objs", file), stringify(o));
      }
      const r = spawnSync(
        bin,
        ["apply", "--dry-run=server", "--validate=strict", "-f", join(dir, "objs"), "-o", "name"],
        {
          encoding: "utf8",
          env,
          maxBuffer: 64 << 20,
        },
      );
      const rejected = new Map<string, string>();
      for (const line of r.stderr.split("\n")) {
        const m = /\/(o\d{5}\.yaml)"/.exec(line);
        if (m) rejected.set(m[1], line.slice(0, 300));
      }
      assert.ok(
        rejected.size > 0 && rejected.size < N,
        `implausible server result: ${rejected.size} rejected\n${r.stderr.slice(0, 1000)}`,
      );
      const disagreements: string[] = [];
      for (const [file, accept] of expectAccept) {
        const server = !rejected.has(file);
        if (server !== accept)
          disagreements.push(
            `${file}: rampart ${accept ? "accepts" : "rejects"}, API server ${server ? "accepts" : "rejects"} ${rejected.get(file) ?? ""}`,
          );
      }
      process.stdout.write(
        `# apiserver diff: ${N} objects, server rejected ${rejected.size}, ${disagreements.length} disagreements\n`,
      );
      assert.deepEqual(disagreements, []);
    }
  },
);
