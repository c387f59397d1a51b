// SPDX-License-Identifier: Apache-2.0
//
// What a policy string may contain before it is allowed anywhere near AppArmor profile text,
// SELinux policy text or a BPF map key. Each check returns undefined (fine) or a reason that
// completes "<field>: ...". See docs/policy-model.md "Accepted strings" for the grammar.

/** Characters that are AppArmor (or shell/SELinux) syntax and never part of a path we enforce. */
const PATH_FORBIDDEN = new Map<string, string>([
  ['"', "a double quote"],
  ["'", "a single quote"],
  ["`", "a backquote"],
  [",", "a comma"],
  ["{", "'{'"],
  ["}", "'}'"],
  ["[", "'['"],
  ["]", "']'"],
  ["#", "'#'"],
  ["^", "'^'"],
  ["\\", "a backslash"],
  ["*", "'*'"],
  ["?", "'?'"],
]);

function badChar(s: string): string | undefined {
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f)
      return `must not contain control characters (found U+${code.toString(16).padStart(4, "0").toUpperCase()})`;
    if (code > 0x7e)
      return `must contain printable ASCII only (found U+${code.toString(16).padStart(4, "0").toUpperCase()})`;
    if (ch === " ") return "must not contain spaces";
  }
  return undefined;
}

function badSegments(s: string): string | undefined {
  if (s.includes("->")) return "must not contain '->' (AppArmor transition syntax)";
  if (/\/\/./.test(s) || s.startsWith("//")) return "must not contain an empty path segment ('//')";
  const segments = s.split("/");
  if (segments.includes("..")) return "must not contain '..' path segments";
  if (segments.includes(".")) return "must not contain '.' path segments";
  return undefined;
}

/** An absolute file path (matchPaths.path, fromSource.path, syscall target): no glob, no syntax. */
export function checkSafePath(
  s: string,
  opts: { dir?: boolean; globHint?: boolean } = {},
): string | undefined {
  const bad = badChar(s);
  if (bad) return bad;
  if (!s.startsWith("/"))
    return opts.dir ? "must be an absolute directory ending with '/'" : "must be an absolute path";
  for (const ch of s) {
    const name = PATH_FORBIDDEN.get(ch);
    if (name) {
      const hint =
        (ch === "*" || ch === "?" || ch === "[" || ch === "{") && opts.globHint !== false
          ? " (use matchPatterns for globs)"
          : "";
      return `must not contain ${name}: it is AppArmor/SELinux syntax and cannot be enforced literally${hint}`;
    }
  }
  return badSegments(s);
}

/** A bare executable name (process.matchPaths.execname). */
export function checkExecname(s: string): string | undefined {
  const bad = badChar(s);
  if (bad) return bad;
  if (s === "." || s === "..") return "must be an executable name, not '.' or '..'";
  if (s.includes("/")) return "must be a bare executable name without '/'";
  for (const ch of s) {
    const name = PATH_FORBIDDEN.get(ch);
    if (name)
      return `must not contain ${name}: it is AppArmor/SELinux syntax and cannot be enforced literally`;
  }
  if (s.includes("->")) return "must not contain '->'";
  return undefined;
}

export const MAX_PATTERN_LENGTH = 1024;

/**
 * matchPatterns grammar (AppArmor glob subset): an absolute path where
 *   `*` (within a segment), `**` (across segments), `?` (one character),
 *   `[abc]` / `[a-z]` / `[^abc]` (one character, non-empty, no '/', no nesting), and
 *   `{alt1,alt2,...}` (alternatives, empty ones allowed, no nesting)
 * are the only special forms. Quotes, '#', '\', backquotes, whitespace, control characters,
 * '@{' variables, '->', '//', '.' and '..' segments are rejected; ',' only inside '{...}',
 * '^' only right after '['.
 */
export function checkPattern(s: string): string | undefined {
  const bad = badChar(s);
  if (bad) return bad;
  if (s.length > MAX_PATTERN_LENGTH) return `must be at most ${MAX_PATTERN_LENGTH} characters`;
  if (!s.startsWith("/")) return "must be an absolute glob starting with '/'";
  if (s.includes("@{")) return "must not use AppArmor variables ('@{...}')";
  let inBrace = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    switch (ch) {
      case '"':
      case "'":
      case "`":
      case "#":
      case "\\":
        return `must not contain ${PATH_FORBIDDEN.get(ch)} (not part of the accepted glob grammar)`;
      case "^":
        return "may use '^' only as the first character inside '[...]'";
      case ",":
        if (!inBrace) return "may use ',' only inside '{...}' alternatives";
        break;
      case "{":
        if (inBrace) return "must not nest '{...}' alternatives";
        inBrace = true;
        break;
      case "}":
        if (!inBrace) return "has a '}' without a matching '{'";
        inBrace = false;
        break;
      case "]":
        return "has a ']' without a matching '['";
      case "[": {
        let j = i + 1;
        if (s[j] === "^") j++;
        const start = j;
        while (j < s.length && s[j] !== "]") {
          if (s[j] === "[" || s[j] === "/" || s[j] === "{" || s[j] === "}" || s[j] === ",")
            return `has an invalid character class at offset ${i} ('${s[j]}' inside '[...]')`;
          j++;
        }
        if (j >= s.length) return `has an unterminated '[' at offset ${i}`;
        if (j === start) return `has an empty character class at offset ${i}`;
        i = j;
        break;
      }
      default:
        break;
    }
  }
  if (inBrace) return "has an unterminated '{'";
  return badSegments(s.replace(/\{[^}]*\}/g, m => m.replace(/\//g, "_")));
}

const DNS_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** One DNS name of matchDNSQueries.domain (after comma expansion). */
export function checkDomain(s: string): string | undefined {
  const bad = badChar(s);
  if (bad) return bad;
  if (s.length === 0) return "must not be empty";
  if (s.length > 253) return "must be at most 253 characters";
  const name = s.endsWith(".") ? s.slice(0, -1) : s;
  if (!name.split(".").every(label => DNS_LABEL.test(label)))
    return "must be a DNS name (labels of letters, digits, '-' or '_', separated by '.')";
  return undefined;
}

const RULE_KEYWORDS = new Set([
  "file",
  "capability",
  "network",
  "mount",
  "remount",
  "umount",
  "pivot_root",
  "ptrace",
  "signal",
  "unix",
  "dbus",
  "link",
]);
const QUALIFIERS = new Set(["audit", "deny", "allow", "owner", "other", "quiet"]);

/**
 * spec.apparmor: raw AppArmor rule lines inserted into the profile body. Accepted grammar, per
 * line (after trimming; empty lines and whole-line `# comment`s are skipped):
 *   [qualifier ...] (PATH-or-glob | file | capability | network | mount | remount | umount |
 *                    pivot_root | ptrace | signal | unix | dbus | link) ... ','
 * qualifiers: audit deny allow owner other quiet. Rejected anywhere: control characters, '#'
 * after rule text, `include`/`#include`, `profile`, `hat`/`^`, `change_profile`, `change_hat`,
 * '{' or '}' at line start, exec transitions (px Px ux Ux cx Cx and their i/u variants),
 * `->` outside link rules, `@{` variables, single quotes, unbalanced double quotes.
 * Returns one reason per bad line, with its 1-based line number.
 */
export function checkAppArmorText(text: string): string[] {
  const problems: string[] = [];
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    const line = raw.trim();
    if (line === "") return;
    for (const ch of line) {
      const code = ch.codePointAt(0) ?? 0;
      if ((code < 0x20 && ch !== "\t") || code === 0x7f) {
        problems.push(`line ${n}: must not contain control characters`);
        return;
      }
    }
    if (/^#\s*include\b/.test(line) || /^include\b/.test(line)) {
      problems.push(`line ${n}: include directives are not allowed`);
      return;
    }
    if (line.startsWith("#")) {
      if (line.startsWith("# ") || line === "#") return; // a comment line
      problems.push(`line ${n}: '#' directives are not allowed (a comment needs '# ')`);
      return;
    }
    if (line.startsWith("{") || line.startsWith("}")) {
      problems.push(`line ${n}: must not start with '${line[0]}' (no blocks or profile nesting)`);
      return;
    }
    if (line.startsWith("^")) {
      problems.push(`line ${n}: hats ('^') are not allowed`);
      return;
    }
    if (line.includes("#")) {
      problems.push(`line ${n}: must not contain '#' after rule text (it would comment out the rest)`);
      return;
    }
    if (line.includes("'")) {
      problems.push(`line ${n}: must not contain single quotes`);
      return;
    }
    if ((line.match(/"/g) ?? []).length % 2 !== 0) {
      problems.push(`line ${n}: has an unbalanced double quote`);
      return;
    }
    if (line.includes("@{")) {
      problems.push(`line ${n}: AppArmor variables ('@{...}') are not allowed`);
      return;
    }
    const tokens = line.replace(/,$/, "").split(/\s+/).filter(Boolean);
    let k = 0;
    while (k < tokens.length && QUALIFIERS.has(tokens[k])) k++;
    const head = tokens[k];
    if (head === undefined) {
      problems.push(`line ${n}: has no rule after the qualifiers`);
      return;
    }
    const forbiddenWord = tokens.find(t =>
      [
        "profile",
        "hat",
        "change_profile",
        "change_hat",
        "unconfined",
        "set",
        "rlimit",
        "alias",
        "abi",
      ].includes(t),
    );
    if (forbiddenWord) {
      problems.push(`line ${n}: '${forbiddenWord}' is not allowed in spec.apparmor`);
      return;
    }
    if (!line.endsWith(",")) {
      problems.push(`line ${n}: an AppArmor rule line must end with ','`);
      return;
    }
    if (!(head.startsWith("/") || head.startsWith('"/') || RULE_KEYWORDS.has(head.replace(/,$/, "")))) {
      problems.push(
        `line ${n}: must be a file, capability, network, mount, ptrace, signal, unix, dbus or link rule (starts with '${head}')`,
      );
      return;
    }
    const transition = tokens.find(t => {
      const mode = t.replace(/,$/, "");
      return /^[rwamlkixpPcCuU]+$/.test(mode) && mode.includes("x") && /[pPcCuU]/.test(mode);
    });
    if (transition) {
      problems.push(
        `line ${n}: exec transitions ('${transition}') are not allowed; use ix or a process rule`,
      );
      return;
    }
    if (line.includes("->") && head !== "link") {
      problems.push(`line ${n}: '->' is allowed only in link rules`);
      return;
    }
  });
  return problems;
}

/** DNS-1123 subdomain (metadata.name of a custom resource). */
export function checkObjectName(s: string): string | undefined {
  if (s.length === 0) return "must not be empty";
  if (s.length > 253) return "must be at most 253 characters";
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s))
    return "must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.', starting and ending alphanumeric)";
  return undefined;
}

/** DNS-1123 label (a namespace name). */
export function checkNamespaceName(s: string): string | undefined {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(s))
    return "must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters)";
  return undefined;
}
