// SPDX-License-Identifier: Apache-2.0
//
// BPF-LSM backend: the compiler's map entries (enforcer/compilers/bpf) applied through the
// native addon's Enforcer, keyed by workload = cgroup id (0 = the host). The addon swaps a whole
// generation atomically, pins the maps (enforcement survives the daemon) and stores the artifact's
// content hash as the generation's tag, which is how a restarted daemon re-adopts it.

import { compileBpf, toBinary } from "../compilers/bpf/compile.js";
import { formatCompileError } from "../compilers/errors.js";
import type { EffectivePolicy } from "../model/types.js";
import { contentHash } from "../reconcile/hash.js";
import type { Applied, ApplyOutcome, Artifact, WorkloadInput } from "../reconcile/types.js";
import { CompileError, type Backend } from "./types.js";

/** What the backend needs from the addon's Enforcer (native/index.d.ts). */
export interface BpfKernel {
  apply(
    workload: bigint,
    ruleSet: { workload: Buffer; rules?: Buffer; globAnchors?: Buffer; globs?: Buffer },
    tag?: string | null,
  ): Promise<unknown>;
  remove(workload: bigint): Promise<boolean>;
  list(): Array<{ workload: bigint; tag: string }>;
}

export const HOST_WORKLOAD = 0n;

const pairs = (xs: Array<{ key: Buffer; value: Buffer }>): Buffer =>
  Buffer.concat(xs.flatMap(x => [x.key, x.value]));

export class BpfBackend implements Backend {
  readonly name = "bpf" as const;

  /** `kernel()` is the started addon Enforcer (undefined until started). */
  constructor(private readonly kernel: () => BpfKernel | undefined) {}

  private k(): BpfKernel {
    const k = this.kernel();
    if (!k) throw new Error("bpf: the native enforcer is not running");
    return k;
  }

  compile(effective: EffectivePolicy, workload: WorkloadInput): Artifact | null {
    if (effective.policies.length === 0) return null;
    let key: bigint;
    if (workload.kind === "host") key = HOST_WORKLOAD;
    else if (workload.identity?.cgroupId !== undefined) key = workload.identity.cgroupId;
    else return null; // not running yet: no cgroup to key rules by
    const r = compileBpf(effective);
    if (!r.ok) throw new CompileError(`bpf: ${r.errors.map(formatCompileError).join("; ")}`);
    const bin = toBinary(r.value);
    const content = {
      workload: bin.workload,
      rules: pairs(bin.rules),
      globAnchors: pairs(bin.anchors),
      globs: pairs(bin.globs),
    };
    const hash = contentHash(
      [content.workload, content.rules, content.globAnchors, content.globs]
        .map(b => b.toString("hex"))
        .join("|"),
    );
    return { key: key.toString(), hash, content, description: workload.id };
  }

  async list(): Promise<Applied[]> {
    return this.k()
      .list()
      .map(w => ({ key: w.workload.toString(), hash: w.tag }));
  }

  async apply(a: Artifact): Promise<ApplyOutcome> {
    try {
      await this.k().apply(BigInt(a.key), a.content as Parameters<BpfKernel["apply"]>[1], a.hash);
      return { ok: true, reason: `rules applied for workload ${a.key === "0" ? "host" : `cgroup ${a.key}`}` };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      return {
        ok: false,
        reason: `bpf apply ${a.key}: ${e.code ? `${e.code}: ` : ""}${e.message ?? String(err)}`,
      };
    }
  }

  async remove(a: Applied): Promise<void> {
    await this.k().remove(BigInt(a.key));
  }
}
