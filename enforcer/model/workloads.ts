// SPDX-License-Identifier: Apache-2.0
//
// Workload YAML → selector inputs. Pods as they are; Deployments, DaemonSets, StatefulSets,
// ReplicaSets, Jobs and CronJobs contribute their pod template as one PodInfo named after the
// owner (owner {kind, name}); Namespaces; Nodes. `List` objects are unpacked. Other kinds are
// ignored (a workloads file may hold Services etc.). Pure; never throws.

import { parseDocuments } from "./parse.js";
import type { NamespaceInfo, NodeInfo, PodInfo, Problem } from "./types.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(asObj(v))) if (x !== null && x !== undefined) out[k] = String(x);
  return out;
}

function containers(podSpec: Obj): Array<{ name: string; image?: string }> {
  const out: Array<{ name: string; image?: string }> = [];
  for (const c of [...asArr(podSpec.initContainers), ...asArr(podSpec.containers)]) {
    const co = asObj(c);
    if (typeof co.name !== "string" || co.name === "") continue;
    out.push({ name: co.name, ...(typeof co.image === "string" ? { image: co.image } : {}) });
  }
  return out;
}

/** ReplicaSet `web-5d9c7f8b6c` with pod-template-hash `5d9c7f8b6c` → Deployment `web`. */
function collapseOwner(
  kind: string,
  name: string,
  labels: Record<string, string>,
): { kind: string; name: string } {
  const hash = labels["pod-template-hash"];
  if (kind === "ReplicaSet" && hash && name.endsWith(`-${hash}`))
    return { kind: "Deployment", name: name.slice(0, -hash.length - 1) };
  return { kind, name };
}

const TEMPLATE_KINDS = new Set(["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "CronJob"]);

export interface Workloads {
  pods: PodInfo[];
  namespaces: NamespaceInfo[];
  nodes: NodeInfo[];
  problems: Problem[];
}

export function readWorkloads(text: string, file: string): Workloads {
  const out: Workloads = { pods: [], namespaces: [], nodes: [], problems: [] };
  for (const doc of parseDocuments(text, file)) {
    out.problems.push(...doc.problems);
    if (doc.object === undefined) continue;
    try {
      addObject(doc.object, file, doc.document, "", out, 0);
    } catch (err) {
      // Total by construction; a bug must not take the caller down.
      out.problems.push({
        level: "error",
        file,
        document: doc.document,
        path: "",
        message: `internal error: ${String(err).slice(0, 200)}`,
      });
    }
  }
  return out;
}

/** Lists inside Lists are legal but never useful; bound the recursion. */
const MAX_LIST_DEPTH = 8;

function addObject(
  obj: unknown,
  file: string,
  document: number,
  at: string,
  out: Workloads,
  depth: number,
): void {
  const problem = (path: string, message: string, kind?: string): void =>
    void out.problems.push({
      level: "error",
      file,
      document,
      ...(kind ? { kind } : {}),
      path: at + path,
      message,
    });
  if (!isObj(obj)) {
    problem("", "must be a Kubernetes object (a map)");
    return;
  }
  const kind = typeof obj.kind === "string" ? obj.kind : "";
  if (kind === "List") {
    if (depth >= MAX_LIST_DEPTH) {
      problem("", `Lists nested more than ${MAX_LIST_DEPTH} deep are not read`, kind);
      return;
    }
    asArr(obj.items).forEach((item, i) =>
      addObject(item, file, document, `${at}items[${i}].`, out, depth + 1),
    );
    return;
  }
  const md = asObj(obj.metadata);
  const name = typeof md.name === "string" ? md.name : "";
  const needName = (): boolean => {
    if (name === "") {
      problem("metadata.name", "required field is missing", kind);
      return false;
    }
    return true;
  };
  const namespace = typeof md.namespace === "string" && md.namespace !== "" ? md.namespace : "default";
  if (kind === "Namespace") {
    if (needName())
      out.namespaces.push({ name, labels: stringMap(md.labels), annotations: stringMap(md.annotations) });
    return;
  }
  if (kind === "Node") {
    if (needName())
      out.nodes.push({ name, labels: stringMap(md.labels), annotations: stringMap(md.annotations) });
    return;
  }
  if (kind === "Pod") {
    if (!needName()) return;
    const labels = stringMap(md.labels);
    const spec = asObj(obj.spec);
    const ctrl =
      asArr(md.ownerReferences)
        .map(asObj)
        .find(r => r.controller === true) ?? asObj(asArr(md.ownerReferences)[0]);
    const owner =
      typeof ctrl.kind === "string" && typeof ctrl.name === "string"
        ? collapseOwner(ctrl.kind, ctrl.name, labels)
        : undefined;
    out.pods.push({
      namespace,
      name,
      labels,
      annotations: stringMap(md.annotations),
      ...(owner ? { owner } : {}),
      containers: containers(spec),
      ...(typeof spec.nodeName === "string" ? { nodeName: spec.nodeName } : {}),
    });
    return;
  }
  if (TEMPLATE_KINDS.has(kind)) {
    if (!needName()) return;
    const spec = kind === "CronJob" ? asObj(asObj(asObj(obj.spec).jobTemplate).spec) : asObj(obj.spec);
    const template = asObj(spec.template);
    const tmd = asObj(template.metadata);
    const podSpec = asObj(template.spec);
    if (!isObj(spec.template)) {
      problem(
        kind === "CronJob" ? "spec.jobTemplate.spec.template" : "spec.template",
        "required field is missing",
        kind,
      );
      return;
    }
    out.pods.push({
      namespace,
      name,
      labels: stringMap(tmd.labels),
      annotations: stringMap(tmd.annotations),
      owner: { kind, name },
      containers: containers(podSpec),
      ...(typeof podSpec.nodeName === "string" ? { nodeName: podSpec.nodeName } : {}),
    });
  }
}
