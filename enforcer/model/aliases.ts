// SPDX-License-Identifier: Apache-2.0
//
// Symlink aliases of rule paths. The kernel names files by their resolved path (d_path of the
// opened file, bprm->file for exec; AppArmor matches resolved paths too), so a rule on a symlinked
// path never matches on its own: on Debian 12 `/bin` is a symlink to `/usr/bin`, and a KubeArmor
// policy blocking `/bin/sleep` would fail open (compat §21.1.5). Given how the node resolves
// each path (a lookup the caller does on the workload's own root), this adds, for every rule
// whose path, directory, glob prefix or fromSource binary resolves elsewhere, the same rule on
// the resolved path. Copies keep the rule's origin, so alerts name the user's policy and rule.
// Pure: the resolution is passed in.

import type {
  EffectivePolicy,
  FileRule,
  PathMatch,
  ProcessMatch,
  ProcessRule,
  Rule,
  SyscallRule,
  SyscallSource,
} from "./types.js";

/** Resolved path of `p` on the workload's root, or undefined when it is not an alias. */
export type ResolvePath = (p: string) => string | undefined;

const GLOB_META = /[*?[\]{}]/;

function resolvedMatch<M extends PathMatch | ProcessMatch>(m: M, resolve: ResolvePath): M | undefined {
  switch (m.type) {
    case "path": {
      const r = resolve(m.path);
      return r && r !== m.path ? { ...m, path: r } : undefined;
    }
    case "dir": {
      const base = m.dir.length > 1 ? m.dir.slice(0, -1) : m.dir;
      const r = resolve(base);
      if (!r || r === base) return undefined;
      return { ...m, dir: r === "/" ? "/" : `${r}/` };
    }
    case "pattern": {
      // Only the literal directory prefix can be resolved: `/bin/*.sh` → `/usr/bin/*.sh`.
      const meta = m.pattern.search(GLOB_META);
      const cut = m.pattern.lastIndexOf("/", meta < 0 ? m.pattern.length : meta);
      if (cut <= 0) return undefined;
      const prefix = m.pattern.slice(0, cut);
      const r = resolve(prefix);
      if (!r || r === prefix) return undefined;
      return { ...m, pattern: (r === "/" ? "" : r) + m.pattern.slice(cut) };
    }
    default:
      return undefined;
  }
}

function withSources<R extends { fromSource: string[] }>(rule: R, resolve: ResolvePath): R {
  const extra = rule.fromSource.map(resolve).filter((r): r is string => !!r && !rule.fromSource.includes(r));
  return extra.length ? { ...rule, fromSource: [...rule.fromSource, ...new Set(extra)] } : rule;
}

export interface AliasResult {
  effective: EffectivePolicy;
  /** One line per alias added, for logs and `explain`: `/bin/sleep → /usr/bin/sleep`. */
  aliases: string[];
}

/**
 * The effective policy with alias rules appended (original rule order and ids unchanged) and
 * fromSource lists extended by their resolved binaries.
 */
export function expandAliases(effective: EffectivePolicy, resolve: ResolvePath): AliasResult {
  const aliases: string[] = [];
  const seen = new Map<string, string | undefined>();
  const cached: ResolvePath = p => {
    if (!seen.has(p)) {
      const r = resolve(p);
      seen.set(p, r);
      if (r && r !== p) aliases.push(`${p} → ${r}`);
    }
    return seen.get(p);
  };
  const rules: Rule[] = [];
  const added: Rule[] = [];
  for (const rule of effective.rules) {
    if (rule.category === "process" || rule.category === "file") {
      const r = withSources(rule as ProcessRule | FileRule, cached);
      rules.push(r);
      const m = resolvedMatch(r.match, cached);
      if (m) added.push({ ...r, match: m } as ProcessRule | FileRule);
    } else if (rule.category === "network" || rule.category === "capabilities" || rule.category === "dns") {
      rules.push(withSources(rule, cached));
    } else if (rule.category === "syscalls") {
      const s = rule as SyscallRule;
      const sources = s.fromSource.flatMap((src): SyscallSource[] => {
        if ("path" in src) {
          const r = cached(src.path);
          return r && r !== src.path ? [src, { path: r }] : [src];
        }
        const base = src.dir.length > 1 ? src.dir.slice(0, -1) : src.dir;
        const r = cached(base);
        return r && r !== base ? [src, { ...src, dir: r === "/" ? "/" : `${r}/` }] : [src];
      });
      rules.push(sources.length !== s.fromSource.length ? { ...s, fromSource: sources } : s);
    } else rules.push(rule);
  }
  if (added.length === 0 && rules.every((r, i) => r === effective.rules[i])) return { effective, aliases };
  return { effective: { ...effective, rules: [...rules, ...added] }, aliases };
}
