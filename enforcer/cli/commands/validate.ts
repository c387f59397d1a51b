// SPDX-License-Identifier: Apache-2.0
//
// `rampart validate PATH...`: offline check of KubeArmor policy files (schema + semantic
// checks of enforcer/model). File reading lives here; the model stays pure.

import { readFileSync, statSync } from "node:fs";
import {
  duplicatePolicies,
  formatProblem,
  validateText,
  type NormalizedPolicy,
  type Problem,
} from "../../model/index.js";
import { fsReason, walkPolicyFiles } from "../../sources/policy-files.js";

export const help = `Usage: rampart validate [flags] PATH...

Check KubeArmor policies (security.kubearmor.com/v1 KubeArmorPolicy, KubeArmorClusterPolicy,
KubeArmorHostPolicy) offline: the CRD schema exactly as the API server applies it (unknown
fields are rejected instead of silently pruned), then Rampart's semantic checks (unknown
protocol/capability names, unsafe path characters, raw AppArmor lines, contradictions, ...).
Every problem is printed on one line: FILE#DOC (KIND NAMESPACE/NAME) FIELD: REASON.

Arguments:
  PATH...            policy files or directories (searched recursively for *.yaml, *.yml, *.json);
                     every YAML document must be a KubeArmor policy (empty documents are skipped)

Flags:
  --strict           treat warnings (e.g. contradictory Allow/Block rules) as errors
  --output FORMAT    text (default) or json (one JSON object: files, documents, policies, problems)
  --quiet, -q        text output: print problems only, no summary line
  -h, --help         show this help

Exit status: 0 every document is valid, 1 a document has an error (warnings never change it
unless --strict), 2 usage error (unknown flag, no PATH, a PATH or a policy file under it cannot be read).
Directories are walked recursively for *.yaml, *.yml and *.json, following symlinks and
skipping hidden entries (.git, .github, a ConfigMap mount's ..data).`;

/**
 * Files under the given paths, directories walked by `walkPolicyFiles` (symlinks followed, hidden
 * entries skipped), in that order. What cannot be read is listed in `missing` as
 * `path (reason)`: nothing is lost silently.
 */
export function collectFiles(paths: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      missing.push(`${p} (${fsReason(err)})`);
      continue;
    }
    if (!st.isDirectory()) {
      files.push(p);
      continue;
    }
    const walk = walkPolicyFiles(p);
    files.push(...walk.files);
    missing.push(...walk.unreadable.map(u => `${u.path} (${u.reason})`));
  }
  return { files, missing };
}

export interface ParsedArgs {
  paths: string[];
  flags: Record<string, string | boolean>;
  error?: string;
}

/** Tiny flag parser: `--flag`, `--flag value`, `--flag=value`; value flags listed in `valueFlags`. */
export function parseArgs(
  argv: string[],
  booleanFlags: string[],
  valueFlags: string[],
  multi: string[] = [],
): ParsedArgs & { lists: Record<string, string[]> } {
  const out: ParsedArgs & { lists: Record<string, string[]> } = { paths: [], flags: {}, lists: {} };
  let current: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      out.paths.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("-") && a !== "-") {
      const [name, inline] = a.includes("=")
        ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
        : [a, undefined];
      if (booleanFlags.includes(name)) {
        out.flags[name] = true;
        current = undefined;
      } else if (valueFlags.includes(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined) return { ...out, error: `${name} needs a value` };
        out.flags[name] = v;
        current = undefined;
      } else if (multi.includes(name)) {
        out.lists[name] ??= [];
        if (inline !== undefined) out.lists[name].push(inline);
        current = name;
      } else return { ...out, error: `unknown flag ${name}` };
      continue;
    }
    if (current) out.lists[current].push(a);
    else out.paths.push(a);
  }
  return out;
}

export interface ValidateReport {
  files: number;
  documents: number;
  policies: NormalizedPolicy[];
  problems: Problem[];
}

/** Read and validate files (I/O here, checks in the model). Unreadable files become problems. */
export function validateFiles(files: string[], strict: boolean): ValidateReport {
  const report: ValidateReport = { files: files.length, documents: 0, policies: [], problems: [] };
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch (err) {
      report.problems.push({
        level: "error",
        file: f,
        document: 0,
        path: "",
        message: `cannot read file: ${(err as Error).message}`,
      });
      continue;
    }
    const r = validateText(text, f, { strict });
    report.documents += r.documents;
    report.policies.push(...r.policies);
    // duplicates inside one file are already reported by validateText; here: across files
    report.problems.push(...r.problems);
  }
  const perFile = new Set(
    report.problems
      .filter(p => p.message.startsWith("duplicate policy:"))
      .map(p => `${p.file}#${p.document}`),
  );
  report.problems.push(
    ...duplicatePolicies(report.policies, { strict }).filter(p => !perFile.has(`${p.file}#${p.document}`)),
  );
  // Stable order for people: by file (in walk order), then document.
  const order = new Map(files.map((f, i) => [f, i]));
  report.problems = report.problems
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) =>
        (order.get(a.p.file) ?? 0) - (order.get(b.p.file) ?? 0) || a.p.document - b.p.document || a.i - b.i,
    )
    .map(x => x.p);
  return report;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ["--strict", "--quiet", "-q"], ["--output", "-o"]);
  const usage = (msg: string): number => {
    process.stderr.write(`rampart validate: ${msg}\nRun \`rampart validate --help\` for usage.\n`);
    return 2;
  };
  if (args.error) return usage(args.error);
  const output = String(args.flags["--output"] ?? args.flags["-o"] ?? "text");
  if (output !== "text" && output !== "json") return usage(`--output must be text or json, not "${output}"`);
  if (args.paths.length === 0) return usage("no PATH given");
  const { files, missing } = collectFiles(args.paths);
  if (missing.length) return usage(`cannot read ${missing.join(", ")}`);
  const strict = args.flags["--strict"] === true;
  const report = validateFiles(files, strict);
  const errors = report.problems.filter(p => p.level === "error").length;
  const warnings = report.problems.length - errors;
  if (output === "json") {
    process.stdout.write(
      JSON.stringify(
        {
          valid: errors === 0,
          files: report.files,
          documents: report.documents,
          errors,
          warnings,
          policies: report.policies.map(p => ({
            kind: p.kind,
            name: p.name,
            ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
            source: p.source,
            rules: p.rules.length,
          })),
          problems: report.problems,
        },
        null,
        2,
      ) + "\n",
    );
  } else {
    const lines = report.problems.map(formatProblem);
    if (lines.length) process.stdout.write(lines.join("\n") + "\n");
    if (!(args.flags["--quiet"] || args.flags["-q"]))
      process.stdout.write(
        `${errors === 0 ? "OK" : "FAILED"}: ${report.files} file(s), ${report.documents} document(s), ${report.policies.length} valid polic${report.policies.length === 1 ? "y" : "ies"}, ${errors} error(s), ${warnings} warning(s)\n`,
      );
  }
  return errors === 0 ? 0 : 1;
}
