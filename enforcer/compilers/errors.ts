// SPDX-License-Identifier: Apache-2.0
//
// Typed compile errors. Compilers never throw on bad input: they return these, each naming the
// rule (policy + JSON path) that could not be compiled and why.

import type { RuleOrigin } from "../model/types.js";

export type CompileTarget = "apparmor" | "bpf" | "selinux";

export interface CompileError {
  target: CompileTarget;
  /** Stable machine-readable code, e.g. `glob-unsupported`, `unsafe-path`, `hash-collision`. */
  code: string;
  message: string;
  origin?: RuleOrigin;
}

export type CompileResult<T> =
  | { ok: true; value: T; warnings: CompileError[] }
  | { ok: false; errors: CompileError[] };

export function formatCompileError(e: CompileError): string {
  const where = e.origin
    ? `${e.origin.kind} ${e.origin.namespace ? e.origin.namespace + "/" : ""}${e.origin.name} ${e.origin.path}: `
    : "";
  return `${e.target}: ${where}${e.message} [${e.code}]`;
}
