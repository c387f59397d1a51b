// SPDX-License-Identifier: Apache-2.0
//
// Drift test: compile a C program against bpf/include/rules.h with the system `cc`, print every
// sizeof / offsetof / #define the TS mirror relies on, and compare. Also runs the header's
// rampart_fnv_step()/rampart_hash_key() on the hash test vectors.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFINES, LAYOUT, decodeRuleKey, encodeRuleKey, decodeGlob, encodeGlob } from "./layout.js";
import { HASH_VECTORS, hashString } from "./hash.js";

/** A host C compiler: $CC, else cc, else clang (clang is in scripts/apt-packages.txt). */
function hostCc(): string {
  for (const c of [process.env.CC, "cc", "clang"]) {
    if (c && spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0) return c;
  }
  throw new Error("no C compiler (cc or clang) found: apt-get install clang");
}

const HEADER = resolve(import.meta.dirname, "../../../bpf/include/rules.h");

test("rules.h layout and constants match the TS mirror (cc sizeof/offsetof)", () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-layout-"));
  try {
    const lines: string[] = [];
    for (const [struct, def] of Object.entries(LAYOUT)) {
      lines.push(`  printf("size ${struct} %zu\\n", sizeof(struct ${struct}));`);
      for (const field of Object.keys(def.fields))
        lines.push(`  printf("off ${struct}.${field} %zu\\n", offsetof(struct ${struct}, ${field}));`);
    }
    for (const name of Object.keys(DEFINES))
      lines.push(`  printf("def ${name} %llu\\n", (unsigned long long)(${name}));`);
    const vecs = HASH_VECTORS.map(
      ([s]) =>
        `  { const char *s = ${JSON.stringify(s)}; __u64 h = RAMPART_FNV_OFFSET; for (; *s; s++) h = rampart_fnv_step(h, (__u8)*s); printf("hash %llx\\n", (unsigned long long)rampart_hash_key(h)); }`,
    );
    const src = `#include <stdio.h>\n#include <stddef.h>\n#include "${HEADER}"\nint main(void) {\n${lines.join("\n")}\n${vecs.join("\n")}\n  return 0;\n}\n`;
    writeFileSync(join(dir, "l.c"), src);
    execFileSync(hostCc(), ["-std=gnu11", "-Wall", "-Werror", "-o", join(dir, "l"), join(dir, "l.c")], {
      stdio: "pipe",
    });
    const out = execFileSync(join(dir, "l"), { encoding: "utf8" }).trim().split("\n");
    const got = new Map<string, string>();
    const hashes: string[] = [];
    for (const l of out) {
      const [kind, name, value] = l.split(" ");
      if (kind === "hash") hashes.push(name!);
      else got.set(`${kind} ${name}`, value!);
    }
    for (const [struct, def] of Object.entries(LAYOUT)) {
      assert.equal(Number(got.get(`size ${struct}`)), def.size, `sizeof(struct ${struct})`);
      for (const [field, off] of Object.entries(def.fields))
        assert.equal(Number(got.get(`off ${struct}.${field}`)), off, `offsetof(${struct}, ${field})`);
    }
    for (const [name, v] of Object.entries(DEFINES))
      assert.equal(BigInt(got.get(`def ${name}`)!), BigInt(v), name);
    assert.deepEqual(
      hashes,
      HASH_VECTORS.map(([s]) => hashString(s).toString(16)),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("rules.h compiles for the BPF target (clang -target bpf) with its maps", t => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-layout-"));
  try {
    writeFileSync(
      join(dir, "m.bpf.c"),
      `#include <linux/bpf.h>\n#include "${HEADER}"\nchar LICENSE[] SEC("license") = "GPL";\n`,
    );
    try {
      execFileSync(
        "clang",
        [
          "-target",
          "bpf",
          "-I/usr/include/x86_64-linux-gnu",
          "-O2",
          "-g",
          "-c",
          join(dir, "m.bpf.c"),
          "-o",
          join(dir, "m.o"),
        ],
        { stdio: "pipe" },
      );
    } catch (err) {
      const msg = String((err as { stderr?: Buffer }).stderr ?? err);
      if (/ENOENT|not found/.test(String(err)) && !msg.includes("error:"))
        return t.skip("clang not installed");
      throw new Error(msg);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("key/value encoders round-trip", () => {
  const k = { workload: 0x1234567890abcdefn, generation: 7, kind: 5, hash: 0xfedcba9876543210n, source: 1n };
  assert.deepEqual(decodeRuleKey(encodeRuleKey(k)), k);
  const g = {
    verdict: [0, 1, 2, 3, 0, 1, 2, 3],
    ruleId: [1, 2, 3, 4, 5, 6, 7, 8],
    star: 6n,
    npos: 3,
    anchorLen: 5,
    single: Array.from({ length: 256 }, (_, i) => BigInt(i)),
    loop: Array.from({ length: 256 }, (_, i) => BigInt(i) << 40n),
  };
  assert.deepEqual(decodeGlob(encodeGlob(g)), g);
});
