// SPDX-License-Identifier: Apache-2.0
//
// Standalone desired state: policies from a directory of YAML files (watched with fs.watch plus
// a periodic rescan, because watches miss events on some filesystems and editors replace files),
// this host as the node, and the containers containerd runs as workloads.
//
// Bad input never unloads good policy: a file that stops validating is reported once per version
// with one-line errors and its last good version stays in force; other files are unaffected.
// A deleted file's policies go away. If containerd is unreachable the last container list is kept.

import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { relative } from "node:path";
import { createHash } from "node:crypto";
import { formatProblem, validateText } from "../model/index.js";
import type { NamespaceInfo, NodeInfo, NormalizedPolicy, PodInfo } from "../model/types.js";
import type { Logger } from "../daemon/log.js";
import type { ContainerRuntime } from "../identity/containers.js";
import type { Source } from "../reconcile/loop.js";
import { fsReason, walkPolicyFiles } from "./policy-files.js";
import type { ContainerIdentity, World, WorkloadInput } from "../reconcile/types.js";

export interface FileSourceOptions {
  dir: string;
  node: NodeInfo;
  log: Logger;
  /** Containers as workloads (standalone containerd). Absent: host policies only. */
  runtime?: ContainerRuntime;
  /** Called with every container listing (identity index for the event path). */
  onContainers?: (containers: ContainerIdentity[]) => void;
  rescanMs?: number;
  strict?: boolean;
}

interface FileState {
  hash: string;
  /** Last version that validated without errors (undefined: never valid). */
  good?: NormalizedPolicy[];
  goodHash?: string;
}

export function containerWorkload(c: ContainerIdentity): WorkloadInput {
  const namespace = c.podNamespace ?? "default";
  const podName = c.podName ?? c.name;
  const pod: PodInfo = {
    namespace,
    name: podName,
    labels: c.labels,
    annotations: {},
    containers: [{ name: c.name, ...(c.image ? { image: c.image } : {}) }],
  };
  const ns: NamespaceInfo = {
    name: namespace,
    labels: { "kubernetes.io/metadata.name": namespace },
    annotations: {},
  };
  return {
    kind: "container",
    id: `container:${namespace}/${podName}/${c.name}`,
    pod,
    container: c.name,
    namespace: ns,
    identity: c,
  };
}

export class FileSource implements Source {
  private readonly files = new Map<string, FileState>();
  private listeners: Array<(reason: string) => void> = [];
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private containers: ContainerIdentity[] = [];
  private runtimeDown = false;
  /** Duplicates already reported (reported once, not on every pass). */
  private readonly dupesReported = new Set<string>();
  /** Policy files that could not be read (warned once until readable again). */
  private readonly unreadable = new Set<string>();

  constructor(private readonly o: FileSourceOptions) {}

  onChange(listener: (reason: string) => void): void {
    this.listeners.push(listener);
  }

  private emit(reason: string): void {
    for (const l of this.listeners) l(reason);
  }

  start(): void {
    try {
      this.watcher = watch(this.o.dir, { recursive: true }, (_ev, name) =>
        this.emit(`file ${name ?? "?"} changed`),
      );
      this.watcher.on("error", err =>
        this.o.log.warn("policies: watch failed; relying on rescans", {
          dir: this.o.dir,
          error: err.message,
        }),
      );
    } catch (err) {
      this.o.log.warn("policies: cannot watch directory; relying on rescans", {
        dir: this.o.dir,
        error: (err as Error).message,
      });
    }
    const every = this.o.rescanMs ?? 10_000;
    if (every > 0) {
      this.timer = setInterval(() => this.emit("rescan"), every);
      this.timer.unref();
    }
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    this.watcher = null;
    this.timer = null;
  }

  async snapshot(): Promise<World> {
    const policies = await this.readPolicies();
    const workloads: WorkloadInput[] = [{ kind: "host", id: `host:${this.o.node.name}`, node: this.o.node }];
    if (this.o.runtime) {
      try {
        this.containers = await this.o.runtime.list();
        if (this.runtimeDown) this.o.log.info("containers: runtime reachable again");
        this.runtimeDown = false;
      } catch (err) {
        if (!this.runtimeDown)
          this.o.log.warn("containers: runtime unreachable; keeping the last container list", {
            error: (err as Error).message,
          });
        this.runtimeDown = true;
      }
      this.o.onContainers?.(this.containers);
      for (const c of this.containers) workloads.push(containerWorkload(c));
    }
    return { policies, workloads, node: this.o.node };
  }

  private async readPolicies(): Promise<NormalizedPolicy[]> {
    // A missing directory makes the whole source unavailable (keep enforcing what is loaded).
    const st = await stat(this.o.dir);
    if (!st.isDirectory()) throw new Error(`--policies ${this.o.dir} is not a directory`);
    const walk = walkPolicyFiles(this.o.dir);
    // A directory that cannot be read hides an unknown set of files: the whole source is
    // unavailable for this pass (the loop keeps enforcing what is loaded).
    const dir = walk.unreadable.find(u => u.kind === "dir");
    if (dir) throw new Error(`--policies: cannot read ${dir.path} (${dir.reason})`);
    const present = new Set<string>();
    // Broken links (and files that vanish before the read) keep their last good version and are
    // reported once while they stay broken.
    const unreadable = (file: string, reason: string): void => {
      present.add(file);
      if (this.unreadable.has(file)) return;
      this.unreadable.add(file);
      this.o.log.warn("policies: file cannot be read; skipped", {
        file: relative(this.o.dir, file) || file,
        error: reason,
      });
    };
    for (const u of walk.unreadable) unreadable(u.path, u.reason);
    for (const file of walk.files.sort()) {
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (err) {
        unreadable(file, fsReason(err));
        continue;
      }
      present.add(file);
      this.unreadable.delete(file);
      const hash = createHash("sha256").update(text).digest("hex");
      const prev = this.files.get(file);
      if (prev?.hash === hash) continue;
      const name = relative(this.o.dir, file) || file;
      const { policies, problems } = validateText(text, name, { strict: this.o.strict ?? false });
      const errors = problems.filter(p => p.level === "error");
      for (const p of problems.filter(x => x.level === "warning"))
        this.o.log.warn(`policies: ${formatProblem(p)}`);
      if (errors.length === 0) {
        this.files.set(file, { hash, good: policies, goodHash: hash });
        this.o.log.info("policies: loaded", { file: name, policies: policies.length });
      } else {
        for (const p of errors) this.o.log.error(`policies: ${formatProblem(p)}`);
        this.o.log.warn(
          prev?.good
            ? "policies: file invalid; keeping its last good version"
            : "policies: file invalid; skipped",
          { file: name, errors: errors.length },
        );
        this.files.set(file, { hash, good: prev?.good, goodHash: prev?.goodHash });
      }
    }
    for (const file of [...this.files.keys()]) {
      if (!present.has(file)) {
        this.files.delete(file);
        this.o.log.info("policies: file removed", { file: relative(this.o.dir, file) });
      }
    }
    const out: NormalizedPolicy[] = [];
    const seen = new Map<string, string>();
    for (const [file, f] of [...this.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const p of f.good ?? []) {
        const id = `${p.kind}/${p.namespace ?? ""}/${p.name}`;
        const other = seen.get(id);
        if (other) {
          const key = `${id}\u0000${file}`;
          if (!this.dupesReported.has(key)) {
            this.dupesReported.add(key);
            this.o.log.warn("policies: duplicate policy; the first file wins", {
              policy: id,
              kept: relative(this.o.dir, other),
              ignored: relative(this.o.dir, file),
            });
          }
          continue;
        }
        seen.set(id, file);
        out.push(p);
      }
    }
    return out;
  }
}
