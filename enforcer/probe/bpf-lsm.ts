// SPDX-License-Identifier: Apache-2.0
//
// "Can a BPF-LSM program actually be loaded here?" — the one probe fact that cannot be read from
// /sys. Two methods, best first:
//   native  — the Rust addon's probe() loads a canary LSM program and reports the kernel's answer
//             (e.g. EPERM on hosts whose kernel blocks trampolines). Used when native/index.js
//             exists and loads; it is built separately, so its absence is normal, not an error.
//   bpftool — `bpftool feature probe kernel`: libbpf's program-type probe ("program_type lsm is
//             [NOT] available"). It does not attach and does not report the errno.
// The parsers are pure and unit-tested; the runners touch the machine.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { createRequire } from "node:module";
import * as path from "node:path";
import type { BpfLsmLoadCheck, Support } from "./types.js";

/** errno-ish text → a short code ("Operation not permitted (os error 1)" → "EPERM"). */
export function errnoCode(text: string): string {
  const num = /^\s*-?(\d+)\s*$/.exec(text);
  if (num) {
    const n = Number(num[1]);
    const name = Object.entries(os.constants.errno).find(([, v]) => v === n)?.[0];
    return name ?? `errno ${n}`;
  }
  const named = /\bE[A-Z0-9]{2,}\b/.exec(text);
  if (named) return named[0];
  const table: [RegExp, string][] = [
    [/not permitted|os error 1\b|errno[ =:]*-?1\b/i, "EPERM"],
    [/permission denied|os error 13\b/i, "EACCES"],
    [/invalid argument|os error 22\b/i, "EINVAL"],
    [/no such file|os error 2\b/i, "ENOENT"],
    [/not supported|os error 95\b/i, "EOPNOTSUPP"],
    [/too big|e2big|os error 7\b/i, "E2BIG"],
  ];
  for (const [re, code] of table) if (re.test(text)) return code;
  const trimmed = text.trim().replace(/\s+/g, " ");
  return trimmed.length > 0 ? trimmed.slice(0, 60) : "failed";
}

/** The LSM line of `bpftool feature probe kernel` output, or undefined when absent. */
export function parseBpftoolProbe(output: string): Support | undefined {
  const m = /program_type lsm is (NOT )?available/.exec(output);
  if (!m) {
    // JSON form (`bpftool -j feature probe kernel`)
    const j = /"have_lsm_prog_type"\s*:\s*(true|false)/.exec(output);
    if (!j) return undefined;
    return j[1] === "true"
      ? { state: "supported", detail: "bpftool: have_lsm_prog_type" }
      : { state: "unsupported", reason: "not-available", detail: "bpftool: have_lsm_prog_type false" };
  }
  return m[1]
    ? {
        state: "unsupported",
        reason: "not-available",
        detail: "bpftool: program_type lsm is NOT available (libbpf type probe; errno not reported)",
      }
    : { state: "supported", detail: "bpftool: program_type lsm is available (type probe; attach not tried)" };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function supportFromText(v: string): Support | undefined {
  if (/^(supported|available|ok|yes|loaded|true)\b/i.test(v))
    return { state: "supported", detail: `native: ${v}` };
  const m = /^(?:unsupported|unavailable|failed|error|no)\s*:?\s*(.*)$/i.exec(v);
  if (m) return { state: "unsupported", reason: errnoCode(m[1] || v), detail: `native: ${v}` };
  return undefined;
}

/** One native probe value (boolean, "unsupported: EPERM", or {supported, error,...}) → Support. */
export function supportFromValue(v: unknown): Support | undefined {
  if (typeof v === "boolean") {
    return v
      ? { state: "supported", detail: "native canary loaded" }
      : { state: "unsupported", reason: "not-available" };
  }
  if (typeof v === "string") return supportFromText(v);
  if (!isRecord(v)) return undefined;
  const reasonText = [v.reason, v.error, v.errno, v.code, v.message].find(
    x => typeof x === "string" || typeof x === "number",
  );
  const reason = reasonText === undefined ? "not-available" : errnoCode(String(reasonText));
  const detail = reasonText === undefined ? "native" : `native: ${String(reasonText)}`;
  if (typeof v.state === "string") {
    if (v.state === "supported") return { state: "supported", detail: "native canary loaded" };
    if (v.state === "unsupported") return { state: "unsupported", reason, detail };
    if (v.state === "unknown") return { state: "unknown", reason, detail };
  }
  for (const key of ["supported", "available", "loadable", "loaded", "ok"]) {
    const b = v[key];
    if (typeof b === "boolean")
      return b
        ? { state: "supported", detail: "native canary loaded" }
        : { state: "unsupported", reason, detail };
  }
  return undefined;
}

/**
 * Find the BPF-LSM answer in whatever native probe() returned. Accepts the value itself, or an
 * object with an lsm-named key (lsm, bpfLsm, bpf_lsm, programs.lsm, progTypes.lsm, ...).
 */
export function interpretNativeProbe(raw: unknown): Support | undefined {
  if (!isRecord(raw)) return supportFromValue(raw);
  const fromLsmKey = (rec: Record<string, unknown>): Support | undefined => {
    const keys = Object.keys(rec).filter(k => /lsm/i.test(k) && !/cgroup/i.test(k));
    keys.sort((a, b) => Number(!/^(bpf_?)?lsm$/i.test(a)) - Number(!/^(bpf_?)?lsm$/i.test(b)));
    for (const k of keys) {
      const s = supportFromValue(rec[k]);
      if (s) return s;
    }
    return undefined;
  };
  const top = fromLsmKey(raw);
  if (top) return top;
  for (const value of Object.values(raw)) {
    if (isRecord(value)) {
      const nested = fromLsmKey(value);
      if (nested) return nested;
    }
  }
  return supportFromValue(raw);
}

/** The repository (or install) root: the nearest ancestor holding package.json and native/. */
export function findProjectRoot(starts: string[]): string | undefined {
  for (const start of starts) {
    let dir = path.resolve(start);
    for (;;) {
      if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "enforcer")))
        return dir;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

function defaultStarts(): string[] {
  const starts: string[] = [];
  if (typeof __filename === "string") starts.push(path.dirname(__filename));
  if (process.argv[1]) starts.push(path.dirname(path.resolve(process.argv[1])));
  starts.push(process.cwd());
  return starts;
}

export interface LoadCheckOptions {
  /** Explicit native addon entry (default: RAMPART_NATIVE, else <project root>/native/index.js). */
  nativePath?: string;
  /** bpftool binary (default: "bpftool" from PATH). */
  bpftool?: string;
  /** Skip the native addon even when present. */
  noNative?: boolean;
}

async function tryNative(entry: string): Promise<{ check?: BpfLsmLoadCheck; note: string }> {
  let mod: unknown;
  try {
    mod = createRequire(entry)(entry);
  } catch (err) {
    return {
      note: `native addon present but failed to load (${(err as Error).message.split("\n")[0]}); fell back`,
    };
  }
  const probe = isRecord(mod) ? mod.probe : undefined;
  if (typeof probe !== "function") return { note: "native addon has no probe(); fell back" };
  let raw: unknown;
  try {
    raw = await (probe as () => unknown)();
  } catch (err) {
    // a throwing probe is itself the kernel's answer only when it names an errno
    const msg = (err as Error).message ?? String(err);
    return {
      check: {
        method: "native",
        result: { state: "unsupported", reason: errnoCode(msg), detail: `native probe(): ${msg}` },
      },
      note: `native addon ${entry}`,
    };
  }
  const result = interpretNativeProbe(raw);
  if (!result) return { note: "native probe() result has no recognisable BPF-LSM entry; fell back" };
  return { check: { method: "native", result, note: `native addon ${entry}` }, note: "" };
}

function tryBpftool(bin: string): BpfLsmLoadCheck | { missing: string } {
  const r = spawnSync(bin, ["feature", "probe", "kernel"], { encoding: "utf8", timeout: 30_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code ?? "error";
    return { missing: code === "ENOENT" ? `${bin} not installed` : `${bin}: ${code}` };
  }
  const parsed = parseBpftoolProbe(`${r.stdout}\n${r.stderr}`);
  if (!parsed) {
    return {
      method: "bpftool",
      result: {
        state: "unknown",
        reason: "unparsed",
        detail: `bpftool exit ${r.status}; no 'program_type lsm' line`,
      },
    };
  }
  return { method: "bpftool", result: parsed };
}

/** The real BPF-LSM load check: native addon if available, else bpftool, else "none". */
export async function checkBpfLsmLoad(opts: LoadCheckOptions = {}): Promise<BpfLsmLoadCheck> {
  const notes: string[] = [];
  if (!opts.noNative) {
    const root = findProjectRoot(defaultStarts());
    const entry =
      opts.nativePath ??
      process.env.RAMPART_NATIVE ??
      (root ? path.join(root, "native", "index.js") : undefined);
    if (entry && fs.existsSync(entry)) {
      const n = await tryNative(path.resolve(entry));
      if (n.check) return n.check;
      notes.push(n.note);
    } else {
      notes.push(`native addon not built (${entry ?? "native/index.js"} missing)`);
    }
  }
  const b = tryBpftool(opts.bpftool ?? "bpftool");
  if ("missing" in b) {
    notes.push(b.missing);
    return {
      method: "none",
      result: {
        state: "unknown",
        reason: "no-probe-method",
        detail: "neither the native addon nor bpftool is available",
      },
      note: notes.join("; "),
    };
  }
  return { ...b, note: notes.join("; ") || undefined };
}
