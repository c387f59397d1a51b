// SPDX-License-Identifier: Apache-2.0
//
// `rampart compile --target apparmor|bpf|selinux --policies PATH... [--workloads PATH...]
// [--out DIR] [--output text|json]`: effective policies → what a kernel enforcer loads.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  describeTarget,
  formatProblem,
  readWorkloads,
  resolveEffective,
  type EffectivePolicy,
  type NamespaceInfo,
  type NodeInfo,
  type PodInfo,
  type Problem,
} from "../../model/index.js";
import { compileAppArmor } from "../../compilers/apparmor.js";
import { compileBpf, formatRuleSet, ruleSetToJson } from "../../compilers/bpf/compile.js";
import { formatCompileError, type CompileError, type CompileTarget } from "../../compilers/errors.js";
import { compileSELinux } from "../../compilers/selinux.js";
import { standaloneEffective } from "../../compilers/standalone.js";
import { appArmorProfileName } from "../../compilers/apparmor.js";
import { collectFiles, parseArgs, validateFiles } from "./validate.js";

export const help = `Usage: rampart compile --target apparmor|bpf|selinux --policies PATH... [flags]

Compile the effective policy of every container and host to what a kernel enforcer loads:
  apparmor  one AppArmor profile per container (rampart-<ns>-<owner>-<container>) or host
            (rampart.host), with a child profile per fromSource binary
  bpf       the BPF-LSM rule-map entries (bpf/include/rules.h) per container or host, readable
            (text) or with every key/value as hex (json)
  selinux   one CIL module + file_contexts per host (host policies only)

Flags:
  --target T            apparmor, bpf or selinux (required)
  --policies PATH...    policy files or directories (recursive; *.yaml, *.yml, *.json)
  --workloads PATH...   Pods, Deployments, Namespaces, Nodes … to resolve selectors against
                        (without it, each policy is compiled on its own as if it selected one
                        container, or the host for a KubeArmorHostPolicy)
  --out DIR             write one file per profile / rule set / module into DIR
                        (apparmor: <profile>; bpf: <name>.bpf.json or .bpf.txt;
                        selinux: <module>.cil and <module>.fc); host files carry the hostname
  --output FORMAT       text (default) or json
  -h, --help            show this help

Compile errors name the policy and field (one line each, on stderr); warnings say what an
enforcer cannot enforce. Exit status: 0 ok, 1 a policy, workload or compile error, 2 usage error.`;

interface Artifact {
  target: CompileTarget;
  /** Who it is for (describeTarget). */
  for: string;
  name: string;
  files: Array<{ file: string; content: string }>;
  json: unknown;
}

const clean = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "_")
    .replace(/^[._-]+/, "")
    .slice(0, 100) || "x";

function artifactName(e: EffectivePolicy): string {
  const base = appArmorProfileName(e);
  return e.target.kind === "host" ? `${base}.${clean(e.target.hostname)}` : base;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, [], ["--target", "--out", "--output", "-o"], ["--policies", "--workloads"]);
  const usage = (msg: string): number => {
    process.stderr.write(`rampart compile: ${msg}\nRun \`rampart compile --help\` for usage.\n`);
    return 2;
  };
  if (args.error) return usage(args.error);
  if (args.paths.length) return usage(`unexpected argument ${args.paths[0]} (use --policies / --workloads)`);
  const target = args.flags["--target"];
  if (target !== "apparmor" && target !== "bpf" && target !== "selinux")
    return usage("--target must be apparmor, bpf or selinux");
  const output = String(args.flags["--output"] ?? args.flags["-o"] ?? "text");
  if (output !== "text" && output !== "json") return usage(`--output must be text or json, not "${output}"`);
  const outDir = typeof args.flags["--out"] === "string" ? args.flags["--out"] : undefined;
  const policyPaths = args.lists["--policies"] ?? [];
  const workloadPaths = args.lists["--workloads"];
  if (!policyPaths.length) return usage("--policies needs at least one PATH");
  if (workloadPaths && !workloadPaths.length) return usage("--workloads needs at least one PATH");
  const pf = collectFiles(policyPaths);
  const wf = collectFiles(workloadPaths ?? []);
  const missing = [...pf.missing, ...wf.missing];
  if (missing.length) return usage(`cannot read ${missing.join(", ")}`);

  const report = validateFiles(pf.files, false);
  const problems: Problem[] = [...report.problems];
  let effective: EffectivePolicy[];
  if (workloadPaths) {
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
    effective = resolveEffective(report.policies, world);
  } else {
    effective = report.policies.map(p => standaloneEffective(p));
  }
  for (const p of problems) process.stderr.write(formatProblem(p) + "\n");

  const errors: CompileError[] = [];
  const artifacts: Artifact[] = [];
  let skipped = 0;
  for (const e of effective) {
    const who = describeTarget(e);
    const name = artifactName(e);
    const note = (r: { warnings: CompileError[] }) => {
      for (const w of r.warnings) process.stderr.write(`warning: ${who}: ${formatCompileError(w)}\n`);
    };
    if (target === "apparmor") {
      const r = compileAppArmor(e);
      if (!r.ok) {
        errors.push(...r.errors);
        for (const x of r.errors) process.stderr.write(`${who}: ${formatCompileError(x)}\n`);
        continue;
      }
      note(r);
      artifacts.push({
        target,
        for: who,
        name,
        files: [{ file: name, content: r.value.text }],
        json: {
          profile: r.value.name,
          children: r.value.children,
          sha256: r.value.sha256,
          text: r.value.text,
        },
      });
    } else if (target === "bpf") {
      const r = compileBpf(e);
      if (!r.ok) {
        errors.push(...r.errors);
        for (const x of r.errors) process.stderr.write(`${who}: ${formatCompileError(x)}\n`);
        continue;
      }
      note(r);
      const json = ruleSetToJson(r.value);
      const content =
        output === "json" ? JSON.stringify(json, null, 2) + "\n" : formatRuleSet(r.value) + "\n";
      artifacts.push({
        target,
        for: who,
        name,
        files: [{ file: `${name}.bpf.${output === "json" ? "json" : "txt"}`, content }],
        json,
      });
    } else {
      if (e.target.kind !== "host") {
        skipped++;
        continue;
      }
      const r = compileSELinux(e);
      if (!r.ok) {
        errors.push(...r.errors);
        for (const x of r.errors) process.stderr.write(`${who}: ${formatCompileError(x)}\n`);
        continue;
      }
      note(r);
      const base = `${r.value.name}`;
      artifacts.push({
        target,
        for: who,
        name: base,
        files: [
          { file: `${base}.cil`, content: r.value.cil },
          { file: `${base}.fc`, content: r.value.fileContexts },
        ],
        json: {
          module: r.value.name,
          sha256: r.value.sha256,
          cil: r.value.cil,
          fileContexts: r.value.fileContexts,
        },
      });
    }
  }

  if (outDir) {
    try {
      mkdirSync(outDir, { recursive: true });
      for (const a of artifacts) for (const f of a.files) writeFileSync(join(outDir, f.file), f.content);
    } catch (err) {
      process.stderr.write(`rampart compile: cannot write to ${outDir}: ${(err as Error).message}\n`);
      return 1;
    }
    const n = artifacts.reduce((k, a) => k + a.files.length, 0);
    process.stdout.write(
      `${artifacts.length} ${target} artifact(s), ${n} file(s) written to ${outDir}${skipped ? ` (${skipped} container(s) skipped: SELinux handles hosts only)` : ""}\n`,
    );
  } else if (output === "json") {
    process.stdout.write(
      JSON.stringify(
        artifacts.map(a => ({ target: a.target, for: a.for, name: a.name, ...(a.json as object) })),
        null,
        2,
      ) + "\n",
    );
  } else {
    const parts: string[] = [];
    for (const a of artifacts) {
      for (const f of a.files)
        parts.push(
          `### rampart compile: ${a.target} ${f.file} — ${a.for} ###\n${f.content.endsWith("\n") ? f.content : f.content + "\n"}`,
        );
    }
    if (skipped) parts.push(`### ${skipped} container(s) skipped: SELinux handles hosts only ###\n`);
    process.stdout.write(parts.join("\n"));
  }
  return errors.length || problems.some(p => p.level === "error") ? 1 : 0;
}
