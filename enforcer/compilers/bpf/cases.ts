// SPDX-License-Identifier: Apache-2.0
//
// Seeded generator of (policy, event) pairs for the oracle ⇔ BPF-lookup equivalence, and the
// case file the native suite replays through BPF_PROG_TEST_RUN:
//
//   node --import tsx enforcer/compilers/bpf/write-cases.ts OUT.json [seed] [policies] [eventsPerPolicy]
//
// Each case file entry = one workload's byte-exact map entries (hex) + its events, each with the
// kernel-side inputs (path bytes, source hash, condition bits) and the oracle's expected outcome.
// Written by write-cases.ts (this module stays pure).

import type { Action, Capability, EffectivePolicy, Protocol, Rule } from "../../model/types.js";
import { CAPABILITIES } from "../../model/types.js";
import { decide, type OracleEvent } from "../oracle.js";
import { cap, dir, effective, execname, file, net, path, pattern, proc } from "../fixtures.js";
import { compileBpf, toBinary } from "./compile.js";
import { hashString } from "./hash.js";
import { IPPROTO_NUM, SOCK_TYPE_NUM } from "./layout.js";

/** mulberry32: small, seedable, identical everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMPONENTS = ["a", "b", "c", "bin", "x.y", "é"];
const SOURCES = ["/bin/sh", "/bin/cat", "/usr/bin/a"];
const ACTIONS: Action[] = ["Allow", "Audit", "Block"];
const PROTOCOLS: Protocol[] = [
  "tcp",
  "udp",
  "icmp",
  "icmpv6",
  "raw",
  "stream",
  "dgram",
  "all",
  "sctp",
  "packet",
];
const CAPS: Capability[] = ["net_raw", "chown", "sys_admin", "kill"];
const GLOB_PARTS = ["*", "**", "?", "[ab]", "[^a]", "b*", "*c", "[a-c]", "{a,b}", "{x.y,bin/c}", "x{,a}"];

export interface GeneratedCase {
  policy: EffectivePolicy;
  events: OracleEvent[];
}

export function generateCases(seed = 1, policies = 600, eventsPerPolicy = 20): GeneratedCase[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number) => r() < p;
  const comps = (min: number, max: number) => {
    const n = min + Math.floor(r() * (max - min + 1));
    return Array.from({ length: n }, () => pick(COMPONENTS));
  };
  const aPath = (min = 1, max = 4) => "/" + comps(min, max).join("/");
  const aDir = () => {
    const c = comps(0, 3);
    return c.length ? "/" + c.join("/") + "/" : "/";
  };
  const aGlob = () => {
    const c = comps(1, 4);
    const n = 1 + Math.floor(r() * 2);
    for (let k = 0; k < n; k++) c[Math.floor(r() * c.length)] = pick(GLOB_PARTS);
    if (chance(0.2)) c.push(pick(GLOB_PARTS));
    return "/" + c.join("/");
  };
  const sources = () =>
    chance(0.6)
      ? []
      : chance(0.8)
        ? [pick(SOURCES)]
        : [pick(SOURCES), pick(SOURCES)].filter((v, i, a) => a.indexOf(v) === i);
  const opts = () => ({
    fromSource: sources(),
    ownerOnly: chance(0.2),
    readOnly: chance(0.25),
    ...(chance(0.15) ? { pts: chance(0.5) } : {}),
  });
  const aRule = (): Rule => {
    const action = pick(ACTIONS);
    const kind = r();
    if (kind < 0.35) {
      const t = r();
      const m =
        t < 0.35 ? path(aPath()) : t < 0.7 ? dir(aDir(), chance(0.5)) : t < 0.85 ? pattern(aGlob()) : null;
      return m ? file(action, m, opts()) : file(action, path(aPath()), opts());
    }
    if (kind < 0.7) {
      const t = r();
      const o = opts();
      const m =
        t < 0.3
          ? path(aPath())
          : t < 0.6
            ? dir(aDir(), chance(0.5))
            : t < 0.8
              ? pattern(aGlob())
              : execname(pick(COMPONENTS));
      return proc(action, m, { ...o, readOnly: false });
    }
    if (kind < 0.87)
      return net(action, pick(PROTOCOLS), {
        fromSource: sources(),
        ...(chance(0.15) ? { pts: chance(0.5) } : {}),
      });
    return cap(action, pick(CAPS), { fromSource: sources() });
  };
  const out: GeneratedCase[] = [];
  for (let p = 0; p < policies; p++) {
    const rules = Array.from({ length: 1 + Math.floor(r() * 8) }, aRule);
    const state = chance(0.8) ? "enabled" : chance(0.5) ? "audited" : "disabled";
    const policy = effective(rules, {
      state,
      postures: {
        file: chance(0.5) ? "block" : "audit",
        network: chance(0.5) ? "block" : "audit",
        capabilities: chance(0.5) ? "block" : "audit",
      },
    });
    const events = generateEvents(rules, r, eventsPerPolicy);
    out.push({ policy, events });
  }
  return out;
}

/** Events aimed at a policy's rules (their category, a resource near them, their sources). */
export function generateEvents(rules: Rule[], r: () => number, count: number): OracleEvent[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number) => r() < p;
  const comps = (min: number, max: number) => {
    const n = min + Math.floor(r() * (max - min + 1));
    return Array.from({ length: n }, () => pick(COMPONENTS));
  };
  const aPath = (min = 1, max = 4) => "/" + comps(min, max).join("/");
  const aDir = () => {
    const c = comps(0, 3);
    return c.length ? "/" + c.join("/") + "/" : "/";
  };
  const eventsPerPolicy = count;
  // Events: mostly aimed at a rule of the policy (its category, a resource near it, its source).
  const events: OracleEvent[] = [];
  for (let e = 0; e < eventsPerPolicy; e++) {
    const target = rules.length && chance(0.75) ? pick(rules) : undefined;
    const op: OracleEvent["operation"] =
      target?.category === "capabilities"
        ? "capability"
        : target?.category === "process" || target?.category === "file" || target?.category === "network"
          ? target.category
          : pick(["process", "file", "network", "capability"] as const);
    const targetSources =
      target && target.category !== "syscalls" && "fromSource" in target
        ? (target.fromSource as string[])
        : [];
    const base = {
      source:
        targetSources.length && chance(0.6) ? pick(targetSources) : chance(0.6) ? pick(SOURCES) : undefined,
      tty: chance(0.5),
    };
    if (op === "network") {
      const want = target?.category === "network" && chance(0.7) ? target.protocol : undefined;
      const t = want && SOCK_TYPE_NUM[want] !== undefined ? want : pick(Object.keys(SOCK_TYPE_NUM));
      const pr =
        want && IPPROTO_NUM[want] !== undefined
          ? want
          : chance(0.8)
            ? pick(Object.keys(IPPROTO_NUM))
            : undefined;
      events.push({ operation: op, ...base, sockType: t, ...(pr ? { protocol: pr } : {}) });
    } else if (op === "capability") {
      events.push({
        operation: op,
        ...base,
        capability: target?.category === "capabilities" && chance(0.7) ? target.capability : pick(CAPS),
      });
    } else {
      let pth = aPath(1, 5);
      const m = target && "match" in target && chance(0.85) ? target.match : undefined;
      if (m?.type === "path") pth = chance(0.7) ? m.path : m.path + "/" + pick(COMPONENTS);
      else if (m?.type === "dir")
        pth = m.dir === "/" ? aPath() : chance(0.2) ? m.dir.slice(0, -1) : m.dir + comps(1, 3).join("/");
      else if (m?.type === "execname") pth = aDir() + m.name;
      else if (m?.type === "pattern") {
        pth = m.pattern.replace(/\{([^}]*)\}|\*\*|\*|\?|\[\^?[^\]]*\]/g, (_all, alts: string | undefined) =>
          alts !== undefined ? pick(alts.split(",")) : chance(0.2) ? comps(1, 2).join("/") : pick(COMPONENTS),
        );
      }
      const uid = chance(0.5) ? 0 : 1000;
      events.push({
        operation: op,
        ...base,
        path: pth,
        uid,
        ownerUid: chance(0.5) ? uid : 4242,
        write: op === "file" && chance(0.5),
      });
    }
  }
  return events;
}

const VERDICT_CODE = { Allow: 1, Audit: 2, Block: 3 } as const;

/** The replay file for the native suite (JSON-safe). */
export function caseFile(seed = 1, policies = 600, eventsPerPolicy = 20): unknown {
  const cases = generateCases(seed, policies, eventsPerPolicy);
  const workloads = [];
  for (const c of cases) {
    const res = compileBpf(c.policy);
    if (!res.ok) continue;
    const bin = toBinary(res.value);
    workloads.push({
      entries: {
        workload: bin.workload.toString("hex"),
        rules: bin.rules.map(e => ({ key: e.key.toString("hex"), value: e.value.toString("hex") })),
        anchors: bin.anchors.map(e => ({ key: e.key.toString("hex"), value: e.value.toString("hex") })),
        globs: bin.globs.map(e => ({ key: e.key.toString("hex"), value: e.value.toString("hex") })),
      },
      events: c.events.map(ev => {
        const d = decide(c.policy, ev);
        return {
          event: ev,
          kernel: {
            category: ev.operation,
            path: ev.path !== undefined ? Buffer.from(ev.path, "utf8").toString("hex") : undefined,
            source_hash: ev.source ? "0x" + hashString(ev.source).toString(16) : "0x0",
            slot:
              (ev.operation === "file" && ev.write ? 1 : 0) |
              ((ev.operation === "file" || ev.operation === "process") &&
              ev.uid !== undefined &&
              ev.uid === ev.ownerUid
                ? 2
                : 0) |
              (ev.tty ? 4 : 0),
            ip_protocol: ev.protocol ? IPPROTO_NUM[ev.protocol] : 0,
            sock_type: ev.sockType ? SOCK_TYPE_NUM[ev.sockType] : 0,
            capability:
              ev.capability !== undefined
                ? (CAPABILITIES as readonly string[]).indexOf(ev.capability)
                : undefined,
          },
          expected: {
            verdict: VERDICT_CODE[d.verdict],
            ruleId: d.ruleIndex !== undefined ? d.ruleIndex + 1 : 0,
            defaultPosture: d.defaultPosture ?? null,
            wouldBlock: d.wouldBlock ?? false,
          },
        };
      }),
    });
  }
  return {
    format: "rampart-bpf-cases/1",
    seed,
    note: "keys carry workload=0 generation=0; set both before loading",
    workloads,
  };
}
