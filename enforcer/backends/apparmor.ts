// SPDX-License-Identifier: Apache-2.0
//
// AppArmor backend: one profile file per key in its own directory (default
// /etc/apparmor.d/rampart/), loaded with the real `apparmor_parser -r -W` and removed with
// `apparmor_parser -R`. Ownership and re-adoption: the first line of every file Rampart writes is
//   # rampart-managed sha256=<hash of the rest> profile=<name>
// `list()` reads only files carrying that line, so profiles Rampart does not own are never
// touched, and a restarted daemon knows exactly what is loaded without re-parsing anything.
// A new profile is compiled from a temporary file and renamed into place only after the parser
// accepted (and loaded) it, so the file on disk always describes what the kernel has.

import { execFile } from "node:child_process";
import { mkdir, open, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { EffectivePolicy } from "../model/types.js";
import { HOST_PROFILE_NAME, profileName } from "../model/profile-name.js";
import { contentHash } from "../reconcile/hash.js";
import type { Applied, ApplyOutcome, Artifact, WorkloadInput } from "../reconcile/types.js";
import { CompileError, type Backend } from "./types.js";

export const DEFAULT_APPARMOR_DIR = "/etc/apparmor.d/rampart";
const HEADER_RE = /^# rampart-managed sha256=([0-9a-f]{64}) profile=([A-Za-z0-9._-]+)$/;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** Renders one AppArmor profile (the compiler). Must name the profile `name`. */
export type AppArmorRender = (effective: EffectivePolicy, name: string) => string;

export interface AppArmorOptions {
  render: AppArmorRender;
  dir?: string;
  parser?: string;
  /** `apparmor_parser --skip-kernel-load`: compile and check only (tests on a kernel without AppArmor). */
  skipKernelLoad?: boolean;
  /** Cache location for `-W` (`-L DIR`); default: the parser's own. */
  cacheDir?: string;
  timeoutMs?: number;
}

/** The AppArmor profile name a workload is confined by (shared by all pods of one owner). */
export function profileFor(workload: WorkloadInput): string {
  if (workload.kind === "host") return HOST_PROFILE_NAME;
  const owner = workload.pod.owner?.name ?? workload.pod.name;
  return profileName(workload.pod.namespace, owner, workload.container);
}

export class AppArmorBackend implements Backend {
  readonly name = "apparmor" as const;
  readonly dir: string;
  private readonly o: AppArmorOptions;

  constructor(options: AppArmorOptions) {
    this.o = options;
    this.dir = options.dir ?? DEFAULT_APPARMOR_DIR;
  }

  compile(effective: EffectivePolicy, workload: WorkloadInput): Artifact | null {
    // The host has no runtime attaching a default profile, so without policies there is nothing
    // to load. Containers always get a profile: a pod mutated to use it must find it loaded.
    if (workload.kind === "host" && effective.policies.length === 0) return null;
    const name = profileFor(workload);
    if (!SAFE_NAME.test(name))
      throw new CompileError(`apparmor: unsafe profile name ${JSON.stringify(name)}`);
    const body = this.o.render(effective, name);
    const hash = contentHash(body);
    return {
      key: name,
      hash,
      content: `# rampart-managed sha256=${hash} profile=${name}\n${body}`,
      description: workload.id,
    };
  }

  async list(): Promise<Applied[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const out: Applied[] = [];
    for (const file of names.sort()) {
      if (file.startsWith(".")) continue;
      const header = await firstLine(join(this.dir, file));
      const m = header && HEADER_RE.exec(header);
      if (m && m[2] === file) out.push({ key: file, hash: m[1]! });
    }
    return out;
  }

  async apply(artifact: Artifact): Promise<ApplyOutcome> {
    if (!SAFE_NAME.test(artifact.key))
      return { ok: false, reason: `apparmor: unsafe profile name ${artifact.key}` };
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    const final = join(this.dir, artifact.key);
    const tmp = join(this.dir, `.${artifact.key}.${process.pid}.tmp`);
    await writeFile(tmp, String(artifact.content), { mode: 0o644 });
    const r = await this.parser(["-r", "-W"], tmp);
    if (!r.ok) {
      await rm(tmp, { force: true });
      return { ok: false, reason: `apparmor_parser rejected profile ${artifact.key}: ${r.error}` };
    }
    await rename(tmp, final);
    return {
      ok: true,
      reason: `profile ${artifact.key} loaded${this.o.skipKernelLoad ? " (compile only: --skip-kernel-load)" : ""}`,
    };
  }

  async remove(applied: Applied): Promise<void> {
    if (!SAFE_NAME.test(applied.key)) return;
    const file = join(this.dir, applied.key);
    const header = await firstLine(file);
    const m = header && HEADER_RE.exec(header);
    if (!m) return; // not ours (or gone): never touch
    const r = await this.parser(["-R"], file);
    // A profile that is not loaded (e.g. after a reboot) cannot be unloaded; the file still goes.
    if (!r.ok && !/not (found|exist)|doesn't exist|No such/i.test(r.error)) {
      throw new Error(`apparmor_parser -R ${applied.key}: ${r.error}`);
    }
    await rm(file, { force: true });
  }

  private parser(mode: string[], file: string): Promise<{ ok: true } | { ok: false; error: string }> {
    const args = [...mode];
    if (this.o.skipKernelLoad) args.push("--skip-kernel-load");
    if (this.o.cacheDir) args.push("-L", this.o.cacheDir);
    args.push(file);
    return new Promise(resolve => {
      execFile(
        this.o.parser ?? "apparmor_parser",
        args,
        { timeout: this.o.timeoutMs ?? 120_000 },
        (err, _stdout, stderr) => {
          if (!err) return resolve({ ok: true });
          const lines = String(stderr)
            .split("\n")
            .map(l => l.trim())
            .filter(l => l && !/^Cache read\/write disabled/.test(l));
          resolve({ ok: false, error: lines.join(" | ") || err.message });
        },
      );
    });
  }
}

async function firstLine(path: string): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, "r");
    const buf = Buffer.alloc(256);
    const { bytesRead } = await fh.read(buf, 0, 256, 0);
    const text = buf.subarray(0, bytesRead).toString("utf8");
    const nl = text.indexOf("\n");
    return nl >= 0 ? text.slice(0, nl) : text;
  } catch {
    return null;
  } finally {
    await fh?.close();
  }
}
