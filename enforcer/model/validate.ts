// SPDX-License-Identifier: Apache-2.0
//
// Policy validation: (1) the CRD schema of the object's kind, with ajv, exactly as the API
// server would apply it, except that unknown fields are rejected instead of pruned;
// (2) semantic checks the schema cannot express (semantic.ts); (3) normalization. Every
// problem of a document is reported. Pure: no I/O.

import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { ajvSchema, PATTERNS, MAX_PATH_LENGTH, type PolicyKindName } from "./schema/definition.js";
import { normalizePolicy } from "./normalize.js";
import { parseDocuments } from "./parse.js";
import { semanticChecks, contradictionChecks } from "./semantic.js";
import { API_VERSION, type NormalizedPolicy, type PolicyKind, type Problem } from "./types.js";
import { terminalLine } from "./terminal-text.js";

export const POLICY_KINDS: readonly PolicyKind[] = [
  "KubeArmorPolicy",
  "KubeArmorClusterPolicy",
  "KubeArmorHostPolicy",
];

let ajv: Ajv | undefined;
const validators = new Map<PolicyKindName, ValidateFunction>();

function validatorFor(kind: PolicyKindName): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    ajv ??= new Ajv({
      strict: false,
      allErrors: true,
      verbose: true,
      // The 335-name syscall enum compiles to a loop instead of 335 inline comparisons (start-up time).
      loopEnum: 20,
      // ajv's code optimizer costs more at start-up than it saves on a few thousand objects.
      code: { optimize: false },
      formats: {
        int32: {
          type: "number",
          validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647,
        },
      },
    });
    v = ajv.compile(ajvSchema(kind));
    validators.set(kind, v);
  }
  return v;
}

/** `/spec/process/matchPaths/0/path` → `spec.process.matchPaths[0].path` */
export function pointerToPath(pointer: string): string {
  if (pointer === "") return "";
  let out = "";
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return base === "" ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

const PATTERN_MESSAGES: Record<string, string> = {
  [PATTERNS.path]: "must be an absolute path without a trailing slash",
  [PATTERNS.dir]: "must be '/' or an absolute directory ending with '/'",
  [PATTERNS.syscallPath]: "must be an absolute file path, or a directory ending with '/'",
  [PATTERNS.execname]: "must be a bare executable name without '/'",
  [PATTERNS.protocol]:
    "must be a protocol (tcp, udp, icmp, icmpv6, raw, sctp, stream, dgram, rdm, seqpacket, dccp, packet, all; lower or upper case), or a comma list of them",
  [PATTERNS.capability]:
    "must be a capability name in lowercase without the cap_ prefix (e.g. net_raw), or a comma list of them",
};

function truncate(v: unknown): string {
  // Non-finite numbers (YAML `.inf`, `1e400`) would print as JSON's `null`.
  const s =
    typeof v === "number" && !Number.isFinite(v)
      ? String(v)
      : typeof v === "string"
        ? JSON.stringify(v)
        : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

function ajvMessage(e: ErrorObject, kind: PolicyKindName): { path: string; message: string } {
  const base = pointerToPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required": {
      const field = String(p.missingProperty);
      const path = joinPath(base, field);
      if (field === "fromSource" && kind === "KubeArmorHostPolicy")
        return {
          path,
          message:
            "required field is missing: network and capability rules of a KubeArmorHostPolicy must name the source binaries (fromSource)",
        };
      if (field === "nodeSelector")
        return {
          path,
          message:
            "required field is missing: a KubeArmorHostPolicy must select nodes (nodeSelector.matchLabels)",
        };
      return { path, message: "required field is missing" };
    }
    case "additionalProperties": {
      const field = String(p.additionalProperty);
      return {
        path: joinPath(base, field),
        message: `unknown field "${field}" for ${kind} (the API server would silently drop it; Rampart rejects it so a typo cannot disable a rule)`,
      };
    }
    case "pattern": {
      if (typeof e.data === "string" && /[\u0000-\u001f\u007f]/.test(e.data))
        return { path: base, message: "must not contain control characters (newline, tab, NUL, ...)" };
      const known = PATTERN_MESSAGES[String(p.pattern)];
      return { path: base, message: known ?? `must match the pattern ${String(p.pattern)}` };
    }
    case "enum": {
      const allowed = (p.allowedValues as unknown[]).map(String);
      if (allowed.length > 20)
        return { path: base, message: `${truncate(e.data)} is not a known x86-64 syscall name` };
      const lower =
        typeof e.data === "string"
          ? allowed.find(a => a.toLowerCase() === String(e.data).toLowerCase())
          : undefined;
      const hint = lower ? ` (values are case-sensitive: write "${lower}")` : "";
      return { path: base, message: `must be one of ${allowed.join(", ")}; got ${truncate(e.data)}${hint}` };
    }
    case "type":
      return {
        path: base,
        message: `must be ${p.type === "integer" ? "an integer" : p.type === "array" ? "a list" : p.type === "object" ? "a map" : `a ${String(p.type)}`}; got ${truncate(e.data)}`,
      };
    case "maxLength":
      return {
        path: base,
        message: `must be at most ${String(p.limit)} characters (got ${typeof e.data === "string" ? e.data.length : "?"})${p.limit === MAX_PATH_LENGTH ? " (KubeArmor's path limit)" : ""}`,
      };
    case "maxItems":
      return { path: base, message: `must have at most ${String(p.limit)} items` };
    case "minimum":
    case "maximum":
      return {
        path: base,
        message: `must be ${e.keyword === "minimum" ? ">=" : "<="} ${String(p.limit)}; got ${truncate(e.data)}`,
      };
    case "format":
      return { path: base, message: `must be a 32-bit integer; got ${truncate(e.data)}` };
    default:
      return { path: base, message: e.message ?? `failed ${e.keyword}` };
  }
}

export interface DocRef {
  file: string;
  document: number;
}

export interface ValidateOptions {
  /** Warnings become errors. */
  strict?: boolean;
}

function identify(obj: unknown): { kind?: string; name?: string; namespace?: string } {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return {};
  const o = obj as Record<string, unknown>;
  const md = o.metadata && typeof o.metadata === "object" ? (o.metadata as Record<string, unknown>) : {};
  const out: { kind?: string; name?: string; namespace?: string } = {};
  if (typeof o.kind === "string") out.kind = o.kind;
  if (typeof md.name === "string") out.name = md.name;
  if (typeof md.namespace === "string") out.namespace = md.namespace;
  else if (out.kind === "KubeArmorPolicy") out.namespace = "default";
  return out;
}

/** Schema check + semantic checks + normalization of one object. `policy` iff no errors. */
export function validatePolicyObject(
  obj: unknown,
  at: DocRef,
  opts: ValidateOptions = {},
): { policy?: NormalizedPolicy; problems: Problem[] } {
  if (exceedsDepth(obj, MAX_DEPTH)) {
    const message = `document is nested more than ${MAX_DEPTH} levels deep (no KubeArmor policy is)`;
    return { problems: [{ level: "error", file: at.file, document: at.document, path: "", message }] };
  }
  try {
    return validateChecked(obj, at, opts);
  } catch (err) {
    // Last resort: the model is total by construction; a bug must not take a caller down.
    return {
      problems: [
        {
          level: "error",
          file: at.file,
          document: at.document,
          path: "",
          message: `internal error while validating (please report): ${String(err).replace(/\s+/g, " ").slice(0, 200)}`,
        },
      ],
    };
  }
}

/** Deeper than any KubeArmor policy (about 8 levels); guards every recursive step below. */
export const MAX_DEPTH = 64;

/** Iterative (no recursion): true when `v` nests objects/arrays deeper than `limit`. */
function exceedsDepth(v: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[v, 0]];
  let visited = 0;
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (!node || typeof node !== "object") continue;
    if (depth > limit) return true;
    // Shared references (YAML aliases) are walked again; bound the total work as well.
    if (++visited > 1_000_000) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

function validateChecked(
  obj: unknown,
  at: DocRef,
  opts: ValidateOptions,
): { policy?: NormalizedPolicy; problems: Problem[] } {
  const id = identify(obj);
  const problems: Problem[] = [];
  const add = (level: Problem["level"], path: string, message: string): void => {
    problems.push({
      level: level === "warning" && opts.strict ? "error" : level,
      file: at.file,
      document: at.document,
      ...(id.kind !== undefined ? { kind: id.kind } : {}),
      ...(id.name !== undefined ? { name: id.name } : {}),
      ...(id.kind === "KubeArmorPolicy" && id.namespace !== undefined ? { namespace: id.namespace } : {}),
      path,
      message,
    });
  };
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) {
    add(
      "error",
      "",
      `must be a map (a Kubernetes object); got ${Array.isArray(obj) ? "a list" : truncate(obj)}`,
    );
    return { problems };
  }
  // The API server prunes `field: null` (no CRD field is nullable) before validating, so a
  // null field means "absent" here too.
  const o = stripNullFields(obj) as Record<string, unknown>;
  const kind = o.kind;
  if (typeof kind !== "string" || !(POLICY_KINDS as readonly string[]).includes(kind)) {
    if (kind === undefined) add("error", "kind", "required field is missing");
    else if (kind === "KubeArmorNetworkPolicy")
      add(
        "error",
        "kind",
        "KubeArmorNetworkPolicy is not supported by Rampart (only KubeArmorPolicy, KubeArmorClusterPolicy, KubeArmorHostPolicy)",
      );
    else
      add(
        "error",
        "kind",
        `${truncate(kind)} is not a KubeArmor policy kind (expected KubeArmorPolicy, KubeArmorClusterPolicy or KubeArmorHostPolicy)`,
      );
    return { problems };
  }
  const k = kind as PolicyKind;
  if (o.apiVersion !== API_VERSION) {
    add(
      "error",
      "apiVersion",
      o.apiVersion === undefined
        ? `required field is missing (expected ${API_VERSION})`
        : `must be ${API_VERSION}; got ${truncate(o.apiVersion)}`,
    );
  }
  const validate = validatorFor(k);
  if (!validate(o)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const { path, message } = ajvMessage(e, k);
      const key = `${path}\u0000${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add("error", path, message);
    }
  }
  // A field the schema already rejected is not reported twice.
  const schemaPaths = new Set(problems.map(p => p.path));
  for (const f of semanticChecks(o, k)) if (!schemaPaths.has(f.path)) add(f.level, f.path, f.message);
  if (problems.some(p => p.level === "error")) return { problems };
  const policy = normalizePolicy(o, k, `${at.file}#${at.document}`);
  for (const f of contradictionChecks(policy)) add(f.level, f.path, f.message);
  if (problems.some(p => p.level === "error")) return { problems };
  return { policy, problems };
}

/**
 * The schema stage alone (CRD schema, unknown fields rejected, nulls pruned): what the API
 * server with strict field validation (kubectl's default) rejects. Used by the differential
 * test against a real kube-apiserver (test/cluster/schema-differential.e2e.ts).
 */
export function schemaErrors(obj: unknown, kind: PolicyKind): Array<{ path: string; message: string }> {
  const validate = validatorFor(kind);
  if (validate(stripNullFields(obj))) return [];
  return (validate.errors ?? []).map(e => ajvMessage(e, kind));
}

/** A copy without object properties whose value is null (array items are kept as they are). */
export function stripNullFields(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNullFields);
  if (!v || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null) continue;
    // defineProperty: a key named "__proto__" must stay a plain field, never become the prototype.
    Object.defineProperty(out, k, {
      value: stripNullFields(x),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Every document of a file: empty documents skipped, other kinds are errors. */
export function validateText(
  text: string,
  file: string,
  opts: ValidateOptions = {},
): { policies: NormalizedPolicy[]; problems: Problem[]; documents: number } {
  const policies: NormalizedPolicy[] = [];
  const problems: Problem[] = [];
  let documents = 0;
  for (const doc of parseDocuments(text, file)) {
    if (doc.problems.length) {
      documents++;
      problems.push(...doc.problems);
      continue;
    }
    if (doc.object === undefined) continue;
    documents++;
    const at = { file, document: doc.document };
    const items = listItems(doc.object);
    if (items) {
      // `kubectl get ksp -o yaml` output: a List whose items are policies.
      items.forEach((item, i) => {
        const r = validatePolicyObject(item, at, opts);
        problems.push(
          ...r.problems.map(p => ({ ...p, path: p.path === "" ? `items[${i}]` : `items[${i}].${p.path}` })),
        );
        if (r.policy) policies.push(r.policy);
      });
      continue;
    }
    const r = validatePolicyObject(doc.object, at, opts);
    problems.push(...r.problems);
    if (r.policy) policies.push(r.policy);
  }
  problems.push(...duplicatePolicies(policies, opts));
  return { policies, problems, documents };
}

function listItems(obj: unknown): unknown[] | undefined {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  if (
    typeof o.kind !== "string" ||
    !(o.kind === "List" || /^KubeArmor(Cluster|Host)?PolicyList$/.test(o.kind))
  )
    return undefined;
  return Array.isArray(o.items) ? o.items : [];
}

/**
 * The same (kind, namespace, name) defined twice: `kubectl apply` keeps only the last one, so
 * the earlier definition silently never takes effect. A warning on every later copy.
 */
export function duplicatePolicies(policies: NormalizedPolicy[], opts: ValidateOptions = {}): Problem[] {
  const seen = new Map<string, NormalizedPolicy>();
  const out: Problem[] = [];
  for (const p of policies) {
    const key = `${p.kind}/${p.namespace ?? ""}/${p.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, p);
      continue;
    }
    const [file, doc] = splitSource(p.source);
    out.push({
      level: opts.strict ? "error" : "warning",
      file,
      document: doc,
      kind: p.kind,
      name: p.name,
      ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
      path: "metadata.name",
      message: `duplicate policy: also defined at ${first.source ?? "?"} (only the last one applied takes effect)`,
    });
  }
  return out;
}

function splitSource(source: string | undefined): [string, number] {
  const m = /^(.*)#(\d+)$/.exec(source ?? "");
  return m ? [m[1], Number(m[2])] : [source ?? "?", 0];
}

/** `file.yaml#2 (KubeArmorPolicy default/foo) spec.x[0].path: message` — always one line. */
export function formatProblem(p: Problem): string {
  const who = p.kind
    ? ` (${p.kind}${p.name !== undefined ? " " + (p.namespace ? `${p.namespace}/` : "") + p.name : ""})`
    : "";
  const prefix = p.level === "warning" ? "warning: " : "";
  const text = `${prefix}${p.file}#${p.document}${who} ${p.path === "" ? "(document)" : p.path}: ${p.message}`;
  return terminalLine(text);
}
