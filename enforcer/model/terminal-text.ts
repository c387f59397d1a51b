// SPDX-License-Identifier: Apache-2.0
//
// Text that reaches a person's terminal. Alert fields (file paths, process names, container
// names) come from the workload being watched, and policy files from anyone with Git access: a
// file named `\e]52;c;…\a` would otherwise write the admin's clipboard when its alert is printed,
// `\e[2J` would wipe the screen, a newline would forge a `Key: value` line, and U+202E would
// reorder what the reader sees. Human renderings pass untrusted strings through here; JSON
// outputs do not need it (JSON.stringify escapes C0 controls, and consumers parse, not view).

/** C0/C1 controls, DEL, format characters (bidi overrides, zero-width, BOM), line/paragraph separators. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

function escapeChar(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (ch === "\n") return "\\n";
  if (ch === "\t") return "\\t";
  if (ch === "\r") return "\\r";
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
}

/**
 * `s` with every unprintable character written as an escape (`\x1b`, `\n`, `\u{202e}`) and
 * backslashes doubled, so what is shown is unambiguous and inert.
 */
export function terminalSafe(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(UNPRINTABLE, escapeChar);
}

/** Like terminalSafe, for one-line messages whose own text has no backslash escapes to keep apart:
 * line breaks become a space, other unprintable characters `?`. */
export function terminalLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, " ").replace(UNPRINTABLE, "?");
}

/** JSON text (already valid JSON) with unprintable characters written as JSON `\uXXXX` escapes,
 * so it stays valid JSON with the same meaning (JSON.stringify leaves C1, bidi and separators raw). */
export function terminalJson(json: string): string {
  return json.replace(UNPRINTABLE, ch =>
    Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, "0")}`).join(
      "",
    ),
  );
}
