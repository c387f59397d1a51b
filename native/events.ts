// SPDX-License-Identifier: Apache-2.0
//
// Decoder for the raw ring records the addon delivers in EventBatch.records
// (struct rp_event of bpf/include/events.h, then path bytes, then source bytes). Offsets come
// from the generated event-layout.ts, so this file never hard-codes the C layout.
import { EVENT_FIELDS as F, EVENT_HEADER_SIZE, EventFlag, Hook, Kind, Op, Verdict } from "./event-layout.js";

export { EVENT_HEADER_SIZE, EventFlag, Hook, Kind, Op, Verdict, Visibility } from "./event-layout.js";

/** One kernel record, decoded. u64 ids are bigint; pids and inums are numbers. */
export interface KernelEvent {
  /** CLOCK_BOOTTIME nanoseconds. */
  tsNs: bigint;
  /** cgroup v2 id of the task: the workload key. */
  cgroupId: bigint;
  hostPid: number;
  hostTgid: number;
  hostPpid: number;
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  mntNs: number;
  pidNs: number;
  /** Matched rule id (1-based, the compiler's rule table), 0 = none. */
  ruleId: number;
  retval: number;
  kind: number;
  op: number;
  hook: number;
  verdict: number;
  /** RP_EVF_* bits (see EventFlag). */
  flags: number;
  args: [number, number, number, number];
  /** 16 address bytes for network ops (IPv4 in the first 4). */
  addr: Buffer;
  path: string;
  source: string;
  comm: string;
  /** The path did not fit (or was deeper than the walk): it holds the deepest part only. */
  pathTruncated: boolean;
  tty: boolean;
}

const names = <T extends Record<string, number>>(o: T): Map<number, string> =>
  new Map(Object.entries(o).map(([k, v]) => [v, k]));
const KIND_NAMES = names(Kind);
const OP_NAMES = names(Op);
const HOOK_NAMES = names(Hook);
const VERDICT_NAMES = names(Verdict);

export const kindName = (k: number): string => KIND_NAMES.get(k) ?? `KIND_${k}`;
export const opName = (o: number): string => OP_NAMES.get(o) ?? `OP_${o}`;
export const hookName = (h: number): string => HOOK_NAMES.get(h) ?? `HOOK_${h}`;
export const verdictName = (v: number): string => VERDICT_NAMES.get(v) ?? `VERDICT_${v}`;

function cstr(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString("utf8", start, end < 0 || end > start + len ? start + len : end);
}

/** Decode the record at `off`; returns it and the offset of the next one. Throws on a short buffer. */
export function decodeEventAt(b: Buffer, off: number): { event: KernelEvent; next: number } {
  if (off + EVENT_HEADER_SIZE > b.length)
    throw new Error(`event record at ${off}: header exceeds the ${b.length}-byte batch`);
  const u32 = (f: { offset: number }): number => b.readUInt32LE(off + f.offset);
  const pathLen = b.readUInt16LE(off + F.pathLen.offset);
  const sourceLen = b.readUInt16LE(off + F.sourceLen.offset);
  const dataStart = off + EVENT_HEADER_SIZE;
  const next = dataStart + pathLen + sourceLen;
  if (next > b.length)
    throw new Error(`event record at ${off}: ${pathLen}+${sourceLen} data bytes exceed the batch`);
  const flags = u32(F.flags);
  const event: KernelEvent = {
    tsNs: b.readBigUInt64LE(off + F.tsNs.offset),
    cgroupId: b.readBigUInt64LE(off + F.cgroupId.offset),
    hostPid: u32(F.hostPid),
    hostTgid: u32(F.hostTgid),
    hostPpid: u32(F.hostPpid),
    pid: u32(F.pid),
    ppid: u32(F.ppid),
    uid: u32(F.uid),
    gid: u32(F.gid),
    mntNs: u32(F.mntNs),
    pidNs: u32(F.pidNs),
    ruleId: u32(F.ruleId),
    retval: b.readInt32LE(off + F.retval.offset),
    kind: b[off + F.kind.offset],
    op: b[off + F.op.offset],
    hook: b[off + F.hook.offset],
    verdict: b[off + F.verdict.offset],
    flags,
    args: [u32(F.arg0), u32(F.arg1), u32(F.arg2), u32(F.arg3)],
    addr: Buffer.from(b.subarray(off + F.addr.offset, off + F.addr.offset + F.addr.size)),
    path: b.toString("utf8", dataStart, dataStart + pathLen),
    source: b.toString("utf8", dataStart + pathLen, next),
    comm: cstr(b, off + F.comm.offset, F.comm.size),
    pathTruncated: (flags & EventFlag.PATH_TRUNCATED) !== 0,
    tty: (flags & EventFlag.TTY) !== 0,
  };
  return { event, next };
}

/** Decode every record of a batch. */
export function decodeEvents(records: Buffer): KernelEvent[] {
  const out: KernelEvent[] = [];
  for (let off = 0; off < records.length; ) {
    const { event, next } = decodeEventAt(records, off);
    out.push(event);
    off = next;
  }
  return out;
}

/** Count the records of a batch without decoding them (benchmarks, drop accounting). */
export function countEvents(records: Buffer): number {
  let n = 0;
  for (let off = 0; off + EVENT_HEADER_SIZE <= records.length; n++) {
    off +=
      EVENT_HEADER_SIZE +
      records.readUInt16LE(off + F.pathLen.offset) +
      records.readUInt16LE(off + F.sourceLen.offset);
  }
  return n;
}
