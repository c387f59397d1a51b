// SPDX-License-Identifier: Apache-2.0
//
// An in-memory view of the cluster's Nodes (name → labels), fed by a watch. Admission decisions
// read it synchronously: the webhook never calls the API server on the hot path (platform-notes
// d.9). The watch itself lives in node-watch.ts; this file is pure state.

export interface NodeEntry {
  name: string;
  labels: Record<string, string>;
}

export interface NodeView {
  synced(): boolean;
  get(name: string): NodeEntry | undefined;
  list(): NodeEntry[];
}

export class MemoryNodeView implements NodeView {
  readonly #nodes = new Map<string, NodeEntry>();
  #synced = false;

  constructor(initial?: NodeEntry[]) {
    if (initial) {
      for (const n of initial) this.#nodes.set(n.name, n);
      this.#synced = true;
    }
  }

  synced(): boolean {
    return this.#synced;
  }
  markSynced(): void {
    this.#synced = true;
  }
  get(name: string): NodeEntry | undefined {
    return this.#nodes.get(name);
  }
  list(): NodeEntry[] {
    return [...this.#nodes.values()];
  }
  upsert(name: string, labels: Record<string, string> | undefined): void {
    this.#nodes.set(name, { name, labels: { ...(labels ?? {}) } });
  }
  remove(name: string): void {
    this.#nodes.delete(name);
  }
  /** Replace everything (after a LIST). */
  reset(entries: NodeEntry[]): void {
    this.#nodes.clear();
    for (const e of entries) this.#nodes.set(e.name, e);
    this.#synced = true;
  }
}
