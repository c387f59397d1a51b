// SPDX-License-Identifier: Apache-2.0
//
// The daemon's one handle on the native addon (native/index.js): a single Enforcer instance that
// carries the monitor (tracepoints → ring buffer) and, with --enforcer bpf, the BPF-LSM
// programs and rule maps. Kernel records are decoded (native/events.ts) and mapped to
// MonitorEvents for the pipeline. Loaded lazily: without the addon the daemon still runs.

import { statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { decodeEvents, EventFlag, Hook, Kind, Op, Verdict, type KernelEvent } from "../../native/events.js";
import { CAPABILITIES } from "../model/types.js";
import { cgroupV2Mount } from "../identity/proc.js";
import type { Logger } from "./log.js";
import type { Monitor, MonitorOptions } from "./monitor.js";
import type { MonitorEvent } from "./pipeline.js";
import { loadNative } from "./native.js";

/** The subset of the addon's Enforcer class the daemon uses (native/index.d.ts). */
export interface NativeEnforcer {
  apply(
    workload: bigint,
    ruleSet: unknown,
    tag?: string | null,
  ): Promise<{ generation: number; entries: number }>;
  remove(workload: bigint): Promise<boolean>;
  list(): Array<{ workload: bigint; generation: number; entries: number; tag: string }>;
  setMonitorScope(cgroupId: bigint, visibility: number): void;
  clearMonitorScope(cgroupId: bigint): void;
  setSettings(s: { maxAlertsPerSec?: number; throttleSec?: number; monitorAll?: boolean }): void;
  stats(): unknown;
  stop(detach?: boolean | null): void;
}
interface NativeModule {
  Enforcer: {
    start(
      o: Record<string, unknown>,
      cb: (b: { records: Buffer; count: number; droppedBefore: number }) => void,
    ): NativeEnforcer;
  };
}

const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_TYPES: Record<number, string> = {
  1: "stream",
  2: "dgram",
  3: "raw",
  4: "rdm",
  5: "seqpacket",
  6: "dccp",
  10: "packet",
};
const IP_PROTOS: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp" };
const SYSCALL: Partial<Record<number, string>> = {
  [Hook.TP_SYS_EXECVE]: "SYS_EXECVE",
  [Hook.TP_SCHED_EXEC]: "SYS_EXECVE",
  [Hook.TP_SYS_OPENAT]: "SYS_OPENAT",
  [Hook.TP_SYS_OPEN]: "SYS_OPEN",
  [Hook.TP_SYS_CONNECT]: "SYS_CONNECT",
  [Hook.TP_SYS_BIND]: "SYS_BIND",
  [Hook.TP_SYS_ACCEPT]: "SYS_ACCEPT",
  [Hook.TP_SYS_UNLINK]: "SYS_UNLINKAT",
};

function ip(addr: Buffer, family: number): string {
  if (family === AF_INET) return [...addr.subarray(0, 4)].join(".");
  if (family === AF_INET6) return (addr.toString("hex").match(/.{4}/g) ?? []).join(":");
  return "";
}

/** One kernel record → a pipeline event; undefined for records that are not alerts/telemetry. */
export function toMonitorEvent(ev: KernelEvent, bootOffsetMs: number): MonitorEvent | undefined {
  const base = {
    timeMs: bootOffsetMs + Number(ev.tsNs / 1000n) / 1000,
    cgroupId: ev.cgroupId,
    hostPid: ev.hostTgid,
    hostPpid: ev.hostPpid,
    pid: ev.pid,
    ppid: ev.ppid,
    uid: ev.uid,
    retval: ev.retval,
    ...(ev.tty ? { tty: "pts" } : {}),
    ...(ev.pathTruncated ? { truncated: true } : {}),
    reporter:
      ev.hook >= Hook.LSM_BPRM_CHECK && ev.hook < Hook.BENCH
        ? ("BPFLSM" as const)
        : ("eBPF Monitor" as const),
    ...(SYSCALL[ev.hook] ? { syscall: SYSCALL[ev.hook] } : {}),
  };
  const enforcerVerdict =
    ev.verdict !== Verdict.NONE
      ? {
          enforcerVerdict: {
            // An audited workload's would-be denial: the labeller turns Block + Passed into "Audit (Block)".
            verdict:
              ev.verdict === Verdict.BLOCK || (ev.flags & EventFlag.WOULD_BLOCK) !== 0
                ? ("Block" as const)
                : ev.verdict === Verdict.AUDIT
                  ? ("Audit" as const)
                  : ("Allow" as const),
            ruleId: ev.ruleId,
            posture: (ev.flags & EventFlag.POSTURE) !== 0,
          },
        }
      : {};
  switch (ev.kind) {
    case Kind.PROCESS:
      if (ev.op === Op.EXEC)
        return {
          ...base,
          ...enforcerVerdict,
          operation: "process",
          path: ev.path,
          processName: ev.path,
          parentProcessName: ev.source,
        };
      if (ev.op === Op.EXEC_FAILED)
        return {
          ...base,
          ...enforcerVerdict,
          operation: "process",
          path: ev.path,
          processName: ev.source,
          parentProcessName: ev.source,
        };
      return undefined; // fork/exit: lifecycle, not KubeArmor telemetry
    case Kind.FILE: {
      const flags = ev.args[0];
      const write =
        ev.op === Op.WRITE ||
        ev.op === Op.UNLINK ||
        ev.op === Op.RENAME ||
        ev.op === Op.MKDIR ||
        ev.op === Op.RMDIR ||
        ev.op === Op.CHMOD ||
        ev.op === Op.LINK ||
        (ev.op === Op.OPEN && ((flags & O_ACCMODE) !== 0 || (flags & (O_CREAT | O_TRUNC | O_APPEND)) !== 0));
      return {
        ...base,
        ...enforcerVerdict,
        operation: "file",
        path: ev.path,
        processName: ev.source,
        parentProcessName: "",
        write,
        ownerUid: ev.args[2],
      };
    }
    case Kind.NETWORK: {
      const [family, type, proto, port] = ev.args;
      const protocol = IP_PROTOS[proto] ?? (type === 1 ? "tcp" : type === 2 ? "udp" : undefined);
      const addr = ip(ev.addr, family);
      const remote =
        `${addr ? `remoteip=${addr} ` : ""}${port ? `port=${port} ` : ""}protocol=${(protocol ?? SOCK_TYPES[type] ?? "").toUpperCase()}`.trim();
      return {
        ...base,
        ...enforcerVerdict,
        operation: "network",
        processName: ev.source,
        parentProcessName: "",
        ...(protocol ? { protocol } : {}),
        ...(SOCK_TYPES[type] ? { sockType: SOCK_TYPES[type] } : {}),
        remote,
      };
    }
    case Kind.CAPABILITY:
      return {
        ...base,
        ...enforcerVerdict,
        operation: "capability",
        processName: ev.source,
        parentProcessName: "",
        capability: CAPABILITIES[ev.args[0]] ?? `cap_${ev.args[0]}`,
      };
    default:
      return undefined;
  }
}

export interface KernelOptions extends MonitorOptions {
  monitor: boolean;
  enforcer: boolean;
  maxAlertsPerSec?: number;
  throttleSec?: number;
}

/** Resolve --scope-cgroup (absolute, or relative to the cgroup2 mount) to its cgroup id. */
export function scopeCgroupId(path: string): bigint {
  const mount = cgroupV2Mount();
  const full =
    isAbsolute(path) && (!mount || path.startsWith(mount)) ? path : join(mount ?? "/sys/fs/cgroup", path);
  return statSync(full, { bigint: true }).ino;
}

/** The native kernel side, started once; monitor events flow to `onEvents`. */
export class NativeKernel implements Monitor {
  readonly name = "native (tracepoints + ring buffer)";
  enforcer: NativeEnforcer | undefined;
  private dropped = 0;
  private malformed = 0;
  private readonly bootOffsetMs = Date.now() - Number(process.hrtime.bigint() / 1000n) / 1000;

  constructor(
    private readonly mod: NativeModule,
    private readonly o: KernelOptions,
    private readonly log: Logger,
  ) {}

  static load(o: KernelOptions, log: Logger): NativeKernel | { unavailable: string } {
    const n = loadNative();
    if (!n.ok) return { unavailable: n.reason };
    const mod = n.mod as unknown as NativeModule;
    if (typeof mod.Enforcer?.start !== "function")
      return { unavailable: `native addon ${n.entry} has no Enforcer.start` };
    return new NativeKernel(mod, o, log);
  }

  async start(onEvents: (events: MonitorEvent[]) => void): Promise<void> {
    this.enforcer = this.mod.Enforcer.start(
      {
        monitor: this.o.monitor,
        enforcer: this.o.enforcer,
        ...(this.o.pinDir ? { pinDir: this.o.pinDir } : {}),
        ...(this.o.maxAlertsPerSec !== undefined ? { maxAlertsPerSec: this.o.maxAlertsPerSec } : {}),
        ...(this.o.throttleSec !== undefined ? { throttleSec: this.o.throttleSec } : {}),
      },
      batch => {
        // Must never throw (a throw here is fatal to the process).
        try {
          this.dropped += batch.droppedBefore;
          const out: MonitorEvent[] = [];
          for (const k of decodeEvents(batch.records)) {
            const m = toMonitorEvent(k, this.bootOffsetMs);
            if (m) out.push(m);
          }
          if (out.length) onEvents(out);
        } catch (err) {
          this.malformed++;
          this.log.error("monitor: event batch failed", { error: (err as Error).message });
        }
      },
    );
    if (this.o.monitor) {
      if (this.o.scopeCgroup) {
        const id = scopeCgroupId(this.o.scopeCgroup);
        this.enforcer.setMonitorScope(id, 15);
        this.log.info("monitor: scoped to one cgroup", { cgroup: this.o.scopeCgroup, cgroupId: id });
      } else {
        this.enforcer.setSettings({ monitorAll: true });
      }
    }
  }

  /** Let the monitor report a container's cgroup (unscoped daemons monitor everything anyway). */
  watchCgroup(cgroupId: bigint): void {
    if (this.o.scopeCgroup || !this.enforcer) return;
    this.enforcer.setMonitorScope(cgroupId, 15);
  }

  async stop(): Promise<void> {
    // Pinned programs and maps stay: enforcement survives, the next daemon adopts them.
    this.enforcer?.stop(false);
    this.enforcer = undefined;
  }

  stats(): Record<string, unknown> {
    return {
      native: this.enforcer?.stats(),
      droppedInUserSpace: this.dropped,
      malformedBatches: this.malformed,
    };
  }
}
