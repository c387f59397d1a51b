// SPDX-License-Identifier: Apache-2.0
//
// Multi-document YAML (and JSON, which is YAML) → plain objects. Never throws: syntax errors
// become Problems at path "" of the document they occur in.

import { parseAllDocuments } from "yaml";
import type { Problem } from "./types.js";

export interface ParsedDocument {
  file: string;
  /** 1-based index of the document in the file. */
  document: number;
  /** undefined for an empty document (`---` with nothing after it) or one with syntax errors. */
  object?: unknown;
  problems: Problem[];
}

function describeError(err: unknown): string {
  if (err instanceof RangeError) return "the document is nested too deeply";
  return oneLine(String(err));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export function parseDocuments(text: string, file: string): ParsedDocument[] {
  const out: ParsedDocument[] = [];
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    // maxAliasCount bounds "billion laughs" alias expansion.
    docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    return [
      {
        file,
        document: 1,
        problems: [
          {
            level: "error",
            file,
            document: 1,
            path: "",
            message: `YAML syntax error: ${describeError(err)}`,
          },
        ],
      },
    ];
  }
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const document = i + 1;
    const problems: Problem[] = [];
    for (const err of doc.errors) {
      const line = err.linePos?.[0];
      const where = line ? ` (line ${line.line}, column ${line.col})` : "";
      problems.push({
        level: "error",
        file,
        document,
        path: "",
        message: /Maximum call stack/.test(err.message)
          ? "YAML error: the document is nested too deeply"
          : `YAML syntax error${where}: ${oneLine(err.message.split("\n")[0] ?? err.message)}`,
      });
    }
    if (problems.length) {
      out.push({ file, document, problems });
      return;
    }
    let object: unknown;
    try {
      object = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      problems.push({
        level: "error",
        file,
        document,
        path: "",
        message: `YAML error: ${describeError(err)}`,
      });
    }
    out.push({ file, document, object: object === null ? undefined : object, problems });
  });
  return out;
}
