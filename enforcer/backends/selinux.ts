// SPDX-License-Identifier: Apache-2.0
//
// SELinux backend (host policies only, like KubeArmor's SELinux enforcer): the compiler's CIL
// module (enforcer/compilers/selinux.ts) is installed into the node's policy store with the
// real `semodule -i` and the files it labels are relabelled with the real `restorecon`.
//
// * One module per node, always named `rampart_host` (semodule names a module after its file),
//   so an update is one `semodule -i` transaction that replaces the previous rules: the kernel
//   never sees a half-applied rule set, and no two Rampart modules can declare the same types.
// * Relabelling covers the union of the old and the new module's paths: a path a policy no
//   longer names gets the base policy's label back.
// * Applied state is the state directory (default /var/lib/rampart/selinux): `rampart_host.cil`
//   (first lines carry the content hash) and `rampart_host.paths` (what was relabelled). `list()`
//   reports the module only when `semodule -l` lists it too, so a module removed by hand, or a
//   state file without a module, is repaired by the next pass.
// Policy strings reach the tools only as argv entries after `--`, and the compiler has refused
// whitespace, control characters and quotes in every path it emits.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RELABELER_ATTR, compileSELinux } from "../compilers/selinux.js";
import { formatCompileError } from "../compilers/errors.js";
import type { EffectivePolicy } from "../model/types.js";
import type { Applied, ApplyOutcome, Artifact, WorkloadInput } from "../reconcile/types.js";
import { CompileError, type Backend } from "./types.js";

export const DEFAULT_SELINUX_DIR = "/var/lib/rampart/selinux";
export const SELINUX_MODULE = "rampart_host";
const HASH_RE = /^; rampart-sha256: ([0-9a-f]{64})$/m;

export interface SELinuxOptions {
  /** State directory (module source and relabelled paths). */
  dir?: string;
  /** `semodule -p ROOT`: an alternate policy root (tests against a copy of a store). */
  policyRoot?: string;
  /** `semodule -s NAME`: the policy store (default: SELINUXTYPE of the root's config). */
  store?: string;
  /** `semodule -N`: build the store but do not load the policy into the kernel (tests). */
  noReload?: boolean;
  /** Relabel files with restorecon after install/remove (default true; tests without SELinux: false). */
  relabel?: boolean;
  semodule?: string;
  restorecon?: string;
  timeoutMs?: number;
  /**
   * The SELinux type this daemon (and the restorecon it runs) executes as, made a member of the
   * module's relabeler attribute. Default: the type in /proc/self/attr/current.
   */
  relabelerType?: string;
}

/** The type of this process's SELinux context, or undefined without a loaded policy. */
export function ownType(current: string | null): string | undefined {
  const t = current?.replace(/\0/g, "").trim().split(":")[2];
  return t && /^[a-z][a-z0-9_]{0,127}$/.test(t) ? t : undefined;
}

/** The module and where relabelling starts. */
export interface SELinuxArtifact {
  cil: string;
  /** Roots to relabel (recursive): the compiler's relabelPaths. */
  paths: string[];
  /** Compiler warnings (rules SELinux cannot enforce), reported with the apply result. */
  warnings: string[];
}

export class SELinuxBackend implements Backend {
  readonly name = "selinux" as const;
  readonly dir: string;

  constructor(private readonly o: SELinuxOptions = {}) {
    this.dir = o.dir ?? DEFAULT_SELINUX_DIR;
  }

  compile(effective: EffectivePolicy, workload: WorkloadInput): Artifact | null {
    if (workload.kind !== "host") {
      if (effective.policies.length === 0) return null;
      throw new CompileError(
        "selinux: the SELinux enforcer handles host policies only; container policies need BPF-LSM or AppArmor",
      );
    }
    if (effective.policies.length === 0) return null;
    const r = compileSELinux(effective);
    if (!r.ok) throw new CompileError(r.errors.map(formatCompileError).join("; "));
    const content: SELinuxArtifact = {
      cil: r.value.cil,
      paths: r.value.relabelPaths,
      warnings: r.warnings.map(formatCompileError),
    };
    return { key: SELINUX_MODULE, hash: r.value.sha256, content, description: workload.id };
  }

  async list(): Promise<Applied[]> {
    const cil = await readFile(join(this.dir, `${SELINUX_MODULE}.cil`), "utf8").catch(() => null);
    const installed = await this.installedModules();
    if (!installed.includes(SELINUX_MODULE)) {
      // State without a module (removed by hand, or a store rebuilt): report nothing, so the
      // next pass installs it again; leftover state files are overwritten then.
      return [];
    }
    const m = cil ? HASH_RE.exec(cil) : null;
    // A module without (readable) state is still ours by name: report it with an unknown hash so
    // the plan replaces or removes it.
    return [{ key: SELINUX_MODULE, hash: m ? m[1]! : "unknown" }];
  }

  async apply(artifact: Artifact): Promise<ApplyOutcome> {
    if (artifact.key !== SELINUX_MODULE)
      return { ok: false, reason: `selinux: unexpected key ${artifact.key}` };
    const a = artifact.content as SELinuxArtifact;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmpDir = join(this.dir, `.tmp-${process.pid}`);
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    try {
      // semodule takes the module name from the file name.
      const file = join(tmpDir, `${SELINUX_MODULE}.cil`);
      // The daemon's own domain relabels (restorecon); it is known only here, at run time.
      const self =
        this.o.relabelerType ?? ownType(await readFile("/proc/self/attr/current", "utf8").catch(() => null));
      const cil = self ? `${a.cil}(typeattributeset ${RELABELER_ATTR} (${self}))\n` : a.cil;
      await writeFile(file, cil, { mode: 0o600 });
      const r = await this.semodule(["-i", file]);
      if (!r.ok) return { ok: false, reason: `semodule rejected module ${SELINUX_MODULE}: ${r.error}` };
      const previous = await this.appliedPaths();
      const relabel = await this.relabel([...new Set([...previous, ...a.paths])].sort());
      await writeFile(join(this.dir, `${SELINUX_MODULE}.paths`), a.paths.join("\n") + "\n", { mode: 0o600 });
      await rename(file, join(this.dir, `${SELINUX_MODULE}.cil`));
      const notes = [
        `module ${SELINUX_MODULE} installed${this.o.noReload ? " (not loaded: semodule -N)" : ""}`,
        relabel,
        ...a.warnings.map(w => `not enforced: ${w}`),
      ].filter(Boolean);
      return { ok: true, reason: notes.join("; ") };
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
  }

  async remove(applied: Applied): Promise<void> {
    if (applied.key !== SELINUX_MODULE) return;
    if ((await this.installedModules()).includes(SELINUX_MODULE)) {
      const r = await this.semodule(["-r", SELINUX_MODULE]);
      if (!r.ok) throw new Error(`semodule -r ${SELINUX_MODULE}: ${r.error}`);
    }
    await this.relabel(await this.appliedPaths());
    await rm(join(this.dir, `${SELINUX_MODULE}.cil`), { force: true });
    await rm(join(this.dir, `${SELINUX_MODULE}.paths`), { force: true });
  }

  private async appliedPaths(): Promise<string[]> {
    const text = await readFile(join(this.dir, `${SELINUX_MODULE}.paths`), "utf8").catch(() => "");
    return text.split("\n").filter(p => p.startsWith("/"));
  }

  /** restorecon over the paths that exist; files created later get labels from the policy. */
  private async relabel(paths: string[]): Promise<string> {
    if (this.o.relabel === false) return "files not relabelled (relabel disabled)";
    const existing = paths.filter(p => existsSync(p));
    if (existing.length === 0) return "no labelled path exists yet";
    const r = await run(this.o.restorecon ?? "restorecon", ["-R", "-F", "--", ...existing], this.o.timeoutMs);
    if (!r.ok) throw new Error(`restorecon: ${r.error}`);
    return `relabelled ${existing.length} path(s)`;
  }

  private async installedModules(): Promise<string[]> {
    const r = await this.semodule(["-l"]);
    if (!r.ok) throw new Error(`semodule -l: ${r.error}`);
    return r.stdout.split("\n").map(l => l.trim().split(/\s+/)[0]!);
  }

  private semodule(mode: string[]): Promise<RunResult> {
    const args: string[] = [];
    if (this.o.policyRoot) args.push("-p", this.o.policyRoot);
    if (this.o.store) args.push("-s", this.o.store);
    if (this.o.noReload && mode[0] !== "-l") args.push("-N");
    args.push(...mode);
    return run(this.o.semodule ?? "semodule", args, this.o.timeoutMs);
  }
}

type RunResult = { ok: true; stdout: string } | { ok: false; error: string };

function run(cmd: string, args: string[], timeoutMs = 300_000): Promise<RunResult> {
  return new Promise(resolve => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, stdout: String(stdout) });
      const lines = String(stderr)
        .split("\n")
        .map(l => l.trim())
        // libsemanage notes about users missing from /etc/passwd are not errors.
        .filter(l => l && !/^libsemanage\.add_user: user \S+ not in password file$/.test(l));
      resolve({ ok: false, error: lines.slice(0, 5).join(" | ") || err.message });
    });
  });
}
