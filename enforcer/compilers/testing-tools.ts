// SPDX-License-Identifier: Apache-2.0
//
// Test helpers shared by the compiler tests: run the real apparmor_parser and secilc, and check
// the structure of generated AppArmor text line by line.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { AppArmorProfile } from "./apparmor.js";

const PARSER = ["/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"].find(p => existsSync(p));

/** Run the real parser; returns the profile names it found (-N), or throws with its stderr. */
export function apparmorParse(text: string): string[] {
  if (!PARSER) throw new Error("apparmor_parser not installed (apt-get install apparmor)");
  const dir = mkdtempSync(join(tmpdir(), "rampart-aa-"));
  try {
    const f = join(dir, "profile");
    writeFileSync(f, text);
    const r = spawnSync(PARSER, ["-Q", "--skip-kernel-load", "-K", f], { encoding: "utf8" });
    if (r.status !== 0)
      throw new Error(`apparmor_parser rejected the profile (exit ${r.status}):\n${r.stderr}\n${text}`);
    const names = execFileSync(PARSER, ["-N", "--skip-kernel-load", f], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return names.trim().split("\n").filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const QUOTED = String.raw`"(?:[^"\\\n]|\\.)*"`;
const LINE_FORMS: RegExp[] = [
  /^#include <abstractions\/base>$/,
  /^(file|network|capability),$/,
  new RegExp(`^(deny )?(owner |other )?${QUOTED} (klmrw|klw|klr|ix|x|rix),$`),
  /^(deny )?network( [a-z]+)?,$/,
  /^(deny )?capability [a-z_]+,$/,
  new RegExp(`^${QUOTED} cx -> [A-Za-z0-9_.-]+,$`),
  new RegExp(`^${QUOTED} px -> [a-z0-9._-]+//[A-Za-z0-9_.-]+,$`),
  /^# policy state (audited|disabled): nothing is enforced by AppArmor$/,
];
export const POST = new Set([
  "/lib/x86_64-linux-gnu/{*,**} rm,",
  "deny @{PROC}/{*,**^[0-9*],sys/kernel/shm*} wkx,",
  "deny @{PROC}/sysrq-trigger rwklx,",
  "deny @{PROC}/mem rwklx,",
  "deny @{PROC}/kmem rwklx,",
  "deny @{PROC}/kcore rwklx,",
  "deny mount,",
  "deny /sys/[^f]*/** wklx,",
  "deny /sys/f[^s]*/** wklx,",
  "deny /sys/fs/[^c]*/** wklx,",
  "deny /sys/fs/c[^g]*/** wklx,",
  "deny /sys/fs/cg[^r]*/** wklx,",
  "deny /sys/firmware/efi/efivars/** rwklx,",
  "deny /sys/kernel/security/** rwklx,",
]);

/**
 * Structural check of generated text: every line is one of the rule forms above, profiles open
 * and close where expected. Returns the rule lines per profile.
 */
export function structure(p: AppArmorProfile, nativeAllowed = false): Map<string, string[]> {
  const lines = p.text.split("\n");
  const out = new Map<string, string[]>();
  let current: string | undefined;
  let depth = 0;
  for (const raw of lines) {
    const l = raw.trim();
    if (
      l === "" ||
      l.startsWith("## ") ||
      l.startsWith("# rampart-sha256: ") ||
      l.startsWith("# profile: ") ||
      l === "#include <tunables/global>"
    ) {
      if (depth === 0 || l === "") continue;
    }
    const open =
      /^profile ([A-Za-z0-9_.-]+)( \/\{usr\/,\}bin\/\*sh)? flags=\(attach_disconnected,mediate_deleted\) \{$/.exec(
        l,
      );
    if (open) {
      depth++;
      current = depth === 1 ? open[1]! : `${p.name}//${open[1]}`;
      out.set(current, []);
      continue;
    }
    if (l === "}") {
      depth--;
      current = depth === 1 ? p.name : undefined;
      continue;
    }
    assert.ok(depth > 0 && current, `line outside a profile: ${JSON.stringify(l)}`);
    const ok = POST.has(l) || LINE_FORMS.some(re => re.test(l)) || nativeAllowed;
    assert.ok(ok, `unexpected line in ${current}: ${JSON.stringify(l)}`);
    out.get(current!)!.push(l);
  }
  assert.equal(depth, 0, "profiles are balanced");
  assert.deepEqual([...out.keys()].sort(), [p.name, ...p.children.map(c => `${p.name}//${c}`)].sort());
  return out;
}

const BASE = resolve(import.meta.dirname, "selinux-test-base.cil");

/** Compile base + module with secilc (MLS); returns secilc's stderr on failure. */
export function secilcCheck(cil: string): void {
  const d = mkdtempSync(join(tmpdir(), "rampart-se-"));
  try {
    writeFileSync(join(d, "module.cil"), cil);
    const r = spawnSync(
      "secilc",
      [
        "-M",
        "true",
        "-o",
        join(d, "policy.bin"),
        "-f",
        join(d, "file_contexts"),
        BASE,
        join(d, "module.cil"),
      ],
      { encoding: "utf8" },
    );
    if (r.error) throw new Error(`secilc not runnable (apt-get install secilc): ${r.error.message}`);
    if (r.status !== 0)
      throw new Error(`secilc rejected the module (exit ${r.status}):\n${r.stderr}${r.stdout}\n${cil}`);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
