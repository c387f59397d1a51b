// SPDX-License-Identifier: Apache-2.0
//
// `rampart explain --policies PATH... --workloads PATH...`: which policies apply to which
// container or host, and the effective rules with postures and state.

import { readFileSync } from "node:fs";
import {
  DEFAULTS,
  describeOrigin,
  describeRule,
  describeTarget,
  formatProblem,
  readWorkloads,
  resolveEffective,
  resolvePostures,
  type NamespaceInfo,
  type NodeInfo,
  type PodInfo,
  type Problem,
} from "../../model/index.js";
import { collectFiles, parseArgs, validateFiles } from "./validate.js";
import { terminalLine } from "../../model/terminal-text.js";

export const help = `Usage: rampart explain --policies PATH... --workloads PATH... [flags]

Show, for every container and every host, which KubeArmor policies select it and the
effective result: merged rules (with the policy and field each came from), allow-list mode per
category (process+file share one), default postures (namespace annotations over defaults),
policy state (kubearmor-policy annotation) and visibility.

Flags:
  --policies PATH...    policy files or directories (recursive; *.yaml, *.yml, *.json)
  --workloads PATH...   workload files or directories: Pods, Deployments, DaemonSets,
                        StatefulSets, ReplicaSets, Jobs, CronJobs, Namespaces, Nodes
                        (other kinds are ignored; a workload's pod template counts as one pod)
  --strict              treat policy warnings as errors (such policies are then left out)
  --output FORMAT       text (default) or json (the EffectivePolicy objects)
  -h, --help            show this help

Invalid policies are reported on stderr (one line each) and left out. Containers in untracked
namespaces (${DEFAULTS.untrackedNamespaces.join(", ")}) are never enforced and not listed.
Exit status: 0 ok, 1 a policy or workload file had an error, 2 usage error.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ["--strict"], ["--output", "-o"], ["--policies", "--workloads"]);
  const usage = (msg: string): number => {
    process.stderr.write(`rampart explain: ${msg}\nRun \`rampart explain --help\` for usage.\n`);
    return 2;
  };
  if (args.error) return usage(args.error);
  if (args.paths.length) return usage(`unexpected argument ${args.paths[0]} (use --policies / --workloads)`);
  const output = String(args.flags["--output"] ?? args.flags["-o"] ?? "text");
  if (output !== "text" && output !== "json") return usage(`--output must be text or json, not "${output}"`);
  const policyPaths = args.lists["--policies"] ?? [];
  const workloadPaths = args.lists["--workloads"] ?? [];
  if (!policyPaths.length) return usage("--policies needs at least one PATH");
  if (!workloadPaths.length) return usage("--workloads needs at least one PATH");
  const pf = collectFiles(policyPaths);
  const wf = collectFiles(workloadPaths);
  const missing = [...pf.missing, ...wf.missing];
  if (missing.length) return usage(`cannot read ${missing.join(", ")}`);

  const report = validateFiles(pf.files, args.flags["--strict"] === true);
  const problems: Problem[] = [...report.problems];
  const world = { pods: [] as PodInfo[], namespaces: [] as NamespaceInfo[], nodes: [] as NodeInfo[] };
  for (const f of wf.files) {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch (err) {
      problems.push({
        level: "error",
        file: f,
        document: 0,
        path: "",
        message: `cannot read file: ${(err as Error).message}`,
      });
      continue;
    }
    const w = readWorkloads(text, f);
    world.pods.push(...w.pods);
    world.namespaces.push(...w.namespaces);
    world.nodes.push(...w.nodes);
    problems.push(...w.problems);
  }
  const postureNotes: string[] = [];
  for (const ns of world.namespaces) {
    for (const p of resolvePostures(ns.annotations, DEFAULTS.postures).problems)
      postureNotes.push(`namespace ${ns.name}: ${p}`);
  }
  for (const p of problems) process.stderr.write(formatProblem(p) + "\n");
  for (const n of postureNotes) process.stderr.write(`warning: ${terminalLine(n)}\n`);

  const effective = resolveEffective(report.policies, world);
  if (output === "json") {
    process.stdout.write(
      JSON.stringify(
        { effective, problems, notes: postureNotes },
        (k, v) => (k === "raw" ? undefined : v),
        2,
      ) + "\n",
    );
  } else {
    const lines: string[] = [];
    for (const e of effective) {
      lines.push(describeTarget(e));
      lines.push(`  state: ${e.state}`);
      lines.push(
        `  postures: file=${e.postures.file} network=${e.postures.network} capabilities=${e.postures.capabilities}` +
          `  allow-list: file=${e.allowList.file ? "yes" : "no"} network=${e.allowList.network ? "yes" : "no"} capabilities=${e.allowList.capabilities ? "yes" : "no"}`,
      );
      const vis = Object.entries(e.visibility)
        .filter(([, on]) => on)
        .map(([k]) => k);
      lines.push(`  visibility: ${vis.length ? vis.join(",") : "none"}`);
      if (!e.policies.length) {
        lines.push("  policies: none");
      } else {
        lines.push(
          `  policies: ${e.policies.map(p => `${p.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name}`).join(", ")}`,
        );
        lines.push("  rules:");
        for (const r of e.rules) lines.push(`    ${describeRule(r)}  [${describeOrigin(r.origin)}]`);
        for (const a of e.apparmor)
          lines.push(
            `    apparmor: ${a.text.trim().split("\n").length} raw line(s)  [${describeOrigin(a.origin)}]`,
          );
      }
    }
    lines.push(
      `${effective.filter(e => e.target.kind === "container").length} container(s), ${effective.filter(e => e.target.kind === "host").length} host(s), ${report.policies.length} valid polic${report.policies.length === 1 ? "y" : "ies"}`,
    );
    // Workload names and labels come from the workloads file or the cluster, unvalidated.
    process.stdout.write(lines.map(terminalLine).join("\n") + "\n");
  }
  return problems.some(p => p.level === "error") ? 1 : 0;
}
