// SPDX-License-Identifier: Apache-2.0
//
// Admission decision for KubeArmor policy objects (pure). The shared model does schema + semantic
// validation and normalization; this adds the admission-only part: how problems become one-line
// denial reasons, and warnings for policies that are valid but probably not what the author meant.

import { validatePolicyObject } from "../enforcer/model/index.js";
import type {
  FileRule,
  NormalizedPolicy,
  PathMatch,
  Problem,
  ProcessRule,
  Rule,
} from "../enforcer/model/types.js";

export interface PolicyVerdict {
  allowed: boolean;
  /** One line each: `<json path>: <message>`. */
  reasons: string[];
  /** One line each; returned as AdmissionResponse warnings (kubectl prints them). */
  warnings: string[];
  policy?: NormalizedPolicy;
}

/** At most this many reasons/warnings go into one response (a huge bad policy must not blow it up). */
export const MAX_MESSAGES = 50;
const MAX_LINE = 400;

function oneLine(s: string): string {
  const flat = s.replace(/[\r\n\t]+/g, " ");
  return flat.length > MAX_LINE ? `${flat.slice(0, MAX_LINE - 1)}…` : flat;
}

export function problemLine(p: Problem): string {
  return oneLine(`${p.path === "" ? "(object)" : p.path}: ${p.message}`);
}

function cap(lines: string[], what: string): string[] {
  const uniq = [...new Set(lines)];
  if (uniq.length <= MAX_MESSAGES) return uniq;
  return [...uniq.slice(0, MAX_MESSAGES), `… and ${uniq.length - MAX_MESSAGES} more ${what}`];
}

/** Validate one admitted object. Errors deny; warnings (model + risk analysis) go to the client. */
export function decidePolicyAdmission(obj: unknown): PolicyVerdict {
  const { policy, problems } = validatePolicyObject(
    obj,
    { file: "admission", document: 1 },
    { strict: false },
  );
  const errors = problems.filter(p => p.level === "error").map(problemLine);
  const warnings = problems.filter(p => p.level === "warning").map(problemLine);
  if (errors.length || !policy) {
    return {
      allowed: false,
      reasons: cap(errors.length ? errors : ["(object): invalid policy"], "errors"),
      warnings: cap(warnings, "warnings"),
    };
  }
  warnings.push(...policyRiskWarnings(policy).map(oneLine));
  return { allowed: true, reasons: [], warnings: cap(warnings, "warnings"), policy };
}

/** The denial message Pepr returns: every reason, `; `-separated, prefixed with the object. */
export function denialMessage(
  kind: string,
  ns: string | undefined,
  name: string | undefined,
  reasons: string[],
): string {
  const who = `${kind} ${ns ? `${ns}/` : ""}${name ?? "(unnamed)"}`;
  return `Rampart rejected ${who}: ${reasons.join("; ")}`;
}

// ---------------------------------------------------------------------------------------------
// Risk analysis: valid policies that probably do not do what their author wants.

/** Library directories an allowed binary must be able to read (and map) to start. */
const LIBRARY_DIRS = ["/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/"];

function matchKey(m: PathMatch | ProcessRule["match"]): string {
  switch (m.type) {
    case "path":
      return `path:${m.path}`;
    case "dir":
      return `dir:${m.dir}:${m.recursive}`;
    case "pattern":
      return `pattern:${m.pattern}`;
    case "execname":
      return `execname:${m.name}`;
  }
}

/** Does an Allow file rule give access to (part of) a library directory? Generous on purpose. */
function touchesLibraries(m: PathMatch): boolean {
  const text = m.type === "path" ? m.path : m.type === "dir" ? m.dir : m.pattern;
  if (LIBRARY_DIRS.some(d => text.startsWith(d))) return true;
  if (m.type === "dir") return m.recursive && LIBRARY_DIRS.some(d => d.startsWith(m.dir));
  if (m.type === "pattern") return text === "/**" || text.startsWith("/usr/**") || text === "/*/**";
  return false;
}

function rulePath(r: Rule): string {
  return r.origin.path;
}

export function policyRiskWarnings(policy: NormalizedPolicy): string[] {
  const out: string[] = [];
  const proc = policy.rules.filter((r): r is ProcessRule => r.category === "process");
  const files = policy.rules.filter((r): r is FileRule => r.category === "file");

  // 1. A process allow-list whose binaries cannot read their own shared libraries.
  const allowedBins = proc.filter(r => r.action === "Allow");
  if (allowedBins.length) {
    const libsReadable = files.some(r => r.action === "Allow" && touchesLibraries(r.match));
    if (!libsReadable) {
      const example = allowedBins[0]!;
      const shown = example.match.type === "path" ? example.match.path : matchKey(example.match);
      out.push(
        `${rulePath(example)}: process allow-list (e.g. ${shown}) but no file Allow rule lets the allowed binaries read their shared libraries (${LIBRARY_DIRS.slice(0, 3).join(", ")}); ` +
          `process and file share one default posture, so with posture "block" they cannot start — add file.matchDirectories for these with recursive: true and readOnly: true`,
      );
    }
  }

  // Contradictory Allow/Block pairs are reported by the model itself (contradictionChecks).

  // 2. Host allow-lists apply to every process on the node, including the kubelet and sshd.
  if (
    policy.kind === "KubeArmorHostPolicy" &&
    policy.rules.some(r => "action" in r && r.action === "Allow")
  ) {
    out.push(
      "spec: host policy with Allow rules puts every process on the selected nodes in allow-list mode (kubelet, container runtime, sshd); with a block host posture a missing rule can make the node unmanageable",
    );
  }
  return out;
}
