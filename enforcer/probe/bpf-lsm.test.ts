// SPDX-License-Identifier: Apache-2.0
// BPF-LSM load check: output parsers (pure), method selection with a stand-in addon module, and
// the real check on this machine compared with bpftool's own answer.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { checkBpfLsmLoad, errnoCode, interpretNativeProbe, parseBpftoolProbe } from "./bpf-lsm.js";

describe("parseBpftoolProbe", () => {
  it("reads the text form", () => {
    const host =
      "Scanning eBPF program types...\neBPF program_type ext is NOT available\neBPF program_type lsm is NOT available\n";
    assert.equal(parseBpftoolProbe(host)?.state, "unsupported");
    assert.equal(parseBpftoolProbe("eBPF program_type lsm is available\n")?.state, "supported");
  });
  it("reads the JSON form", () => {
    assert.equal(parseBpftoolProbe('{"program_types":{"have_lsm_prog_type":true}}')?.state, "supported");
    assert.equal(parseBpftoolProbe('{"program_types":{"have_lsm_prog_type":false}}')?.state, "unsupported");
  });
  it("returns undefined without an lsm line", () => {
    assert.equal(parseBpftoolProbe("Error: bpf(): Operation not permitted"), undefined);
  });
});

describe("interpretNativeProbe", () => {
  const reasonOf = (v: unknown): string | undefined => {
    const s = interpretNativeProbe(v);
    return s?.state === "supported" ? "supported" : s ? `${s.state}:${s.reason}` : undefined;
  };
  it("accepts the shapes a probe() may return", () => {
    assert.equal(
      reasonOf({ lsm: { supported: false, error: "Operation not permitted (os error 1)" } }),
      "unsupported:EPERM",
    );
    assert.equal(reasonOf({ bpfLsm: "unsupported: EPERM", cgroupSock: "supported" }), "unsupported:EPERM");
    assert.equal(reasonOf({ programs: { tracepoint: true, lsm: true } }), "supported");
    assert.equal(reasonOf({ lsmCgroup: false, lsm: { state: "supported" } }), "supported");
    assert.equal(reasonOf({ lsm: { state: "unsupported", reason: "EPERM" } }), "unsupported:EPERM");
    assert.equal(reasonOf({ bpf_lsm: { available: false, errno: 1 } }), "unsupported:EPERM");
    // the shape native/index.d.ts declares (ProbeResult.lsm: Support), as seen on the team host
    const hostNative = {
      kernel: "6.18.44-fc-v657",
      lsms: ["lockdown", "capability", "landlock", "bpf"],
      bpfLsmListed: true,
      tracepoint: { supported: true },
      cgroupSkb: { supported: true },
      lsm: {
        supported: false,
        reason: "unsupported: EPERM (loading rp_canary: Operation not permitted (os error 1) [libbpf: ...])",
        code: "ERR_LSM_UNAVAILABLE",
      },
    };
    assert.equal(reasonOf(hostNative), "unsupported:EPERM");
    assert.equal(reasonOf({ ...hostNative, lsm: { supported: true } }), "supported");
    assert.equal(reasonOf(true), "supported");
    assert.equal(reasonOf({ tracepoint: true }), undefined);
    assert.equal(reasonOf(null), undefined);
  });
  it("maps errno texts to codes", () => {
    assert.equal(errnoCode("EPERM"), "EPERM");
    assert.equal(errnoCode("load failed: Invalid argument"), "EINVAL");
    assert.equal(errnoCode(""), "failed");
  });
});

describe("checkBpfLsmLoad method selection", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rampart-probe-"));
  it("uses the native addon's probe() when the addon exists", async () => {
    const entry = path.join(dir, "eperm.cjs");
    fs.writeFileSync(entry, 'exports.probe = async () => ({ lsm: { supported: false, error: "EPERM" } });\n');
    const c = await checkBpfLsmLoad({ nativePath: entry });
    assert.equal(c.method, "native");
    assert.deepEqual(
      { state: c.result.state, reason: c.result.state === "unsupported" && c.result.reason },
      { state: "unsupported", reason: "EPERM" },
    );
  });
  it("falls back (and says why) when the addon has no probe()", async () => {
    const entry = path.join(dir, "noprobe.cjs");
    fs.writeFileSync(entry, "exports.other = 1;\n");
    const c = await checkBpfLsmLoad({ nativePath: entry, bpftool: "/nonexistent/bpftool" });
    assert.equal(c.method, "none");
    assert.match(c.note ?? "", /no probe\(\)/);
    assert.match(c.note ?? "", /not installed/);
  });
  it("falls back to bpftool when the addon is absent", async () => {
    const c = await checkBpfLsmLoad({ nativePath: path.join(dir, "missing.js") });
    const hasBpftool = spawnSync("bpftool", ["version"]).error === undefined;
    assert.equal(c.method, hasBpftool ? "bpftool" : "none");
    assert.match(c.note ?? "", /native addon not built/);
  });
  it("uses the built native addon on this machine and agrees with its probe()", async t => {
    const entry = path.resolve(import.meta.dirname, "../../native/index.js");
    const built = fs.existsSync(entry) && fs.readdirSync(path.dirname(entry)).some(f => f.endsWith(".node"));
    if (!built) return t.skip("native addon not built (no native/*.node; native/build.sh makes it)");
    const c = await checkBpfLsmLoad();
    assert.equal(c.method, "native", c.note);
    const { probe } = (await import(entry)) as { probe: () => { lsm: { supported: boolean } } };
    assert.equal(c.result.state, probe().lsm.supported ? "supported" : "unsupported");
  });
  it("agrees with bpftool on this machine", async t => {
    const r = spawnSync("bpftool", ["feature", "probe", "kernel"], { encoding: "utf8" });
    if (r.error) return t.skip("bpftool is not installed");
    const c = await checkBpfLsmLoad({ noNative: true });
    const available = /program_type lsm is available/.test(r.stdout);
    assert.equal(c.result.state, available ? "supported" : "unsupported");
  });
});
