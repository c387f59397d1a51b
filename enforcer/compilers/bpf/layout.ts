// SPDX-License-Identifier: Apache-2.0
//
// TypeScript mirror of bpf/include/rules.h: constants, struct sizes and field offsets, and the
// little-endian encoders/decoders for every key and value. layout.test.ts compiles rules.h with
// `cc` and fails when a size, offset or constant here drifts from the header.

export const MAX_PATH = 4096;
export const HOST_WORKLOAD = 0n;
export const RULE_ID_NONE = 0;
export const SLOTS = 16;

export const WL = {
  AUDITED: 1 << 0,
  ALLOWLIST_FILE: 1 << 1,
  ALLOWLIST_NET: 1 << 2,
  ALLOWLIST_CAP: 1 << 3,
  POSTURE_FILE_BLOCK: 1 << 4,
  POSTURE_NET_BLOCK: 1 << 5,
  POSTURE_CAP_BLOCK: 1 << 6,
  HAS_PROC: 1 << 7,
  HAS_FILE: 1 << 8,
  HAS_NET: 1 << 9,
  HAS_CAP: 1 << 10,
  HAS_SOURCE: 1 << 11,
} as const;

export const KIND = {
  PROC_EXACT: 1,
  PROC_EXECNAME: 2,
  PROC_DIR: 3,
  FILE_EXACT: 4,
  FILE_DIR: 5,
  NET_TYPE: 6,
  NET_PROTO: 7,
  NET_ALL: 8,
  CAP: 9,
  PROC_GLOB_ANCHOR: 10,
  FILE_GLOB_ANCHOR: 11,
} as const;
export type KindName = keyof typeof KIND;
export const KIND_NAME: Record<number, KindName> = Object.fromEntries(
  Object.entries(KIND).map(([k, v]) => [v, k as KindName]),
) as Record<number, KindName>;

export const VERDICT = { NONE: 0, ALLOW: 1, AUDIT: 2, BLOCK: 3 } as const;
export const SLOT = { WRITE: 1, OWNER: 2, TTY: 4, FAR: 8 } as const;

/** SOCK_* numbers (rules.h comment on RAMPART_K_NET_TYPE). */
export const SOCK_TYPE_NUM: Record<string, number> = {
  stream: 1,
  dgram: 2,
  raw: 3,
  rdm: 4,
  seqpacket: 5,
  dccp: 6,
  packet: 10,
};
/** IPPROTO_* numbers. */
export const IPPROTO_NUM: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };

/** sizeof / offsetof, checked against the C header by layout.test.ts. */
export const LAYOUT = {
  rampart_workload: {
    size: 32,
    fields: { generation: 0, flags: 4, proc_depths: 8, file_depths: 16, rule_count: 24, glob_count: 28 },
  },
  rampart_rule_key: {
    size: 32,
    fields: { workload: 0, generation: 8, kind: 12, pad: 13, hash: 16, source: 24 },
  },
  rampart_rule_val: { size: 80, fields: { verdict: 0, rule_id: 16 } },
  rampart_glob_anchor: { size: 8, fields: { first: 0, count: 4 } },
  rampart_glob_key: { size: 16, fields: { workload: 0, generation: 8, index: 12 } },
  rampart_glob: {
    size: 4152,
    fields: { verdict: 0, rule_id: 8, star: 40, npos: 48, anchor_len: 52, single: 56, loop: 2104 },
  },
} as const;

/** Constants compared with the header's #defines by layout.test.ts. */
export const DEFINES: Record<string, number | bigint> = {
  RAMPART_MAX_PATH: MAX_PATH,
  RAMPART_MAX_DEPTH: 2048,
  RAMPART_GLOB_MAX_POS: 63,
  RAMPART_GLOB_MAX_PER_ANCHOR: 16,
  RAMPART_GLOB_MAX_PER_WORKLOAD: 256,
  RAMPART_SLOTS: SLOTS,
  RAMPART_SLOT_WRITE: SLOT.WRITE,
  RAMPART_SLOT_OWNER: SLOT.OWNER,
  RAMPART_SLOT_TTY: SLOT.TTY,
  RAMPART_SLOT_FAR: SLOT.FAR,
  RAMPART_V_NONE: VERDICT.NONE,
  RAMPART_V_ALLOW: VERDICT.ALLOW,
  RAMPART_V_AUDIT: VERDICT.AUDIT,
  RAMPART_V_BLOCK: VERDICT.BLOCK,
  RAMPART_WL_AUDITED: WL.AUDITED,
  RAMPART_WL_ALLOWLIST_FILE: WL.ALLOWLIST_FILE,
  RAMPART_WL_ALLOWLIST_NET: WL.ALLOWLIST_NET,
  RAMPART_WL_ALLOWLIST_CAP: WL.ALLOWLIST_CAP,
  RAMPART_WL_POSTURE_FILE_BLOCK: WL.POSTURE_FILE_BLOCK,
  RAMPART_WL_POSTURE_NET_BLOCK: WL.POSTURE_NET_BLOCK,
  RAMPART_WL_POSTURE_CAP_BLOCK: WL.POSTURE_CAP_BLOCK,
  RAMPART_WL_HAS_PROC: WL.HAS_PROC,
  RAMPART_WL_HAS_FILE: WL.HAS_FILE,
  RAMPART_WL_HAS_NET: WL.HAS_NET,
  RAMPART_WL_HAS_CAP: WL.HAS_CAP,
  RAMPART_WL_HAS_SOURCE: WL.HAS_SOURCE,
  ...Object.fromEntries(Object.entries(KIND).map(([k, v]) => [`RAMPART_K_${k}`, v])),
};

export interface WorkloadValue {
  generation: number;
  flags: number;
  procDepths: bigint;
  fileDepths: bigint;
  ruleCount: number;
  globCount: number;
}

export interface RuleKey {
  workload: bigint;
  generation: number;
  kind: number;
  hash: bigint;
  source: bigint;
}

export interface RuleVal {
  verdict: number[]; // SLOTS
  ruleId: number[]; // SLOTS
}

export interface GlobAnchorVal {
  first: number;
  count: number;
}

export interface GlobKey {
  workload: bigint;
  generation: number;
  index: number;
}

export interface GlobVal {
  verdict: number[]; // 8
  ruleId: number[]; // 8
  star: bigint;
  npos: number;
  anchorLen: number;
  single: bigint[]; // 256
  loop: bigint[]; // 256
}

const F = LAYOUT;

export function encodeWorkload(v: WorkloadValue): Buffer {
  const b = Buffer.alloc(F.rampart_workload.size);
  const o = F.rampart_workload.fields;
  b.writeUInt32LE(v.generation, o.generation);
  b.writeUInt32LE(v.flags, o.flags);
  b.writeBigUInt64LE(v.procDepths, o.proc_depths);
  b.writeBigUInt64LE(v.fileDepths, o.file_depths);
  b.writeUInt32LE(v.ruleCount, o.rule_count);
  b.writeUInt32LE(v.globCount, o.glob_count);
  return b;
}

export function decodeWorkload(b: Uint8Array): WorkloadValue {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const o = F.rampart_workload.fields;
  return {
    generation: buf.readUInt32LE(o.generation),
    flags: buf.readUInt32LE(o.flags),
    procDepths: buf.readBigUInt64LE(o.proc_depths),
    fileDepths: buf.readBigUInt64LE(o.file_depths),
    ruleCount: buf.readUInt32LE(o.rule_count),
    globCount: buf.readUInt32LE(o.glob_count),
  };
}

export function encodeRuleKey(k: RuleKey): Buffer {
  const b = Buffer.alloc(F.rampart_rule_key.size);
  const o = F.rampart_rule_key.fields;
  b.writeBigUInt64LE(k.workload, o.workload);
  b.writeUInt32LE(k.generation, o.generation);
  b.writeUInt8(k.kind, o.kind);
  b.writeBigUInt64LE(k.hash, o.hash);
  b.writeBigUInt64LE(k.source, o.source);
  return b;
}

export function decodeRuleKey(b: Uint8Array): RuleKey {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const o = F.rampart_rule_key.fields;
  return {
    workload: buf.readBigUInt64LE(o.workload),
    generation: buf.readUInt32LE(o.generation),
    kind: buf.readUInt8(o.kind),
    hash: buf.readBigUInt64LE(o.hash),
    source: buf.readBigUInt64LE(o.source),
  };
}

export function encodeRuleVal(v: RuleVal): Buffer {
  const b = Buffer.alloc(F.rampart_rule_val.size);
  const o = F.rampart_rule_val.fields;
  for (let i = 0; i < SLOTS; i++) {
    b.writeUInt8(v.verdict[i]!, o.verdict + i);
    b.writeUInt32LE(v.ruleId[i]!, o.rule_id + 4 * i);
  }
  return b;
}

export function decodeRuleVal(b: Uint8Array): RuleVal {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const o = F.rampart_rule_val.fields;
  const verdict: number[] = [];
  const ruleId: number[] = [];
  for (let i = 0; i < SLOTS; i++) {
    verdict.push(buf.readUInt8(o.verdict + i));
    ruleId.push(buf.readUInt32LE(o.rule_id + 4 * i));
  }
  return { verdict, ruleId };
}

export function encodeGlobAnchor(v: GlobAnchorVal): Buffer {
  const b = Buffer.alloc(F.rampart_glob_anchor.size);
  b.writeUInt32LE(v.first, F.rampart_glob_anchor.fields.first);
  b.writeUInt32LE(v.count, F.rampart_glob_anchor.fields.count);
  return b;
}

export function decodeGlobAnchor(b: Uint8Array): GlobAnchorVal {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return {
    first: buf.readUInt32LE(F.rampart_glob_anchor.fields.first),
    count: buf.readUInt32LE(F.rampart_glob_anchor.fields.count),
  };
}

export function encodeGlobKey(k: GlobKey): Buffer {
  const b = Buffer.alloc(F.rampart_glob_key.size);
  const o = F.rampart_glob_key.fields;
  b.writeBigUInt64LE(k.workload, o.workload);
  b.writeUInt32LE(k.generation, o.generation);
  b.writeUInt32LE(k.index, o.index);
  return b;
}

export function decodeGlobKey(b: Uint8Array): GlobKey {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const o = F.rampart_glob_key.fields;
  return {
    workload: buf.readBigUInt64LE(o.workload),
    generation: buf.readUInt32LE(o.generation),
    index: buf.readUInt32LE(o.index),
  };
}

export function encodeGlob(v: GlobVal): Buffer {
  const b = Buffer.alloc(F.rampart_glob.size);
  const o = F.rampart_glob.fields;
  for (let i = 0; i < 8; i++) {
    b.writeUInt8(v.verdict[i]!, o.verdict + i);
    b.writeUInt32LE(v.ruleId[i]!, o.rule_id + 4 * i);
  }
  b.writeBigUInt64LE(v.star, o.star);
  b.writeUInt32LE(v.npos, o.npos);
  b.writeUInt32LE(v.anchorLen, o.anchor_len);
  let tables = tableBytes.get(v.single);
  if (!tables || tableLoop.get(v.single) !== v.loop) {
    tables = Buffer.alloc(4096);
    for (let c = 0; c < 256; c++) {
      tables.writeBigUInt64LE(v.single[c]!, 8 * c);
      tables.writeBigUInt64LE(v.loop[c]!, 2048 + 8 * c);
    }
    tableBytes.set(v.single, tables);
    tableLoop.set(v.single, v.loop);
  }
  tables.copy(b, o.single);
  return b;
}

// The compiler shares one table object per glob text across workloads; encode it once.
const tableBytes = new WeakMap<bigint[], Buffer>();
const tableLoop = new WeakMap<bigint[], bigint[]>();

export function decodeGlob(b: Uint8Array): GlobVal {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const o = F.rampart_glob.fields;
  const verdict: number[] = [];
  const ruleId: number[] = [];
  for (let i = 0; i < 8; i++) {
    verdict.push(buf.readUInt8(o.verdict + i));
    ruleId.push(buf.readUInt32LE(o.rule_id + 4 * i));
  }
  const single: bigint[] = [];
  const loop: bigint[] = [];
  for (let c = 0; c < 256; c++) {
    single.push(buf.readBigUInt64LE(o.single + 8 * c));
    loop.push(buf.readBigUInt64LE(o.loop + 8 * c));
  }
  return {
    verdict,
    ruleId,
    star: buf.readBigUInt64LE(o.star),
    npos: buf.readUInt32LE(o.npos),
    anchorLen: buf.readUInt32LE(o.anchor_len),
    single,
    loop,
  };
}
