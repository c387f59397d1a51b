// SPDX-License-Identifier: Apache-2.0
//
// Alert throttling (kubearmor-compat §11 and §21.15). Enforcement never passes through here:
// only the alert stream is thinned, and never silently.
//
// Two modes, both emitting exactly one `SystemEvent`/`AlertThreshold` alert when a bucket starts
// throttling and one `SystemEvent`/`AlertsDropped` record ("dropped N since T") when it ends:
//
//  * "container" (default, KubeArmor-compatible): KubeArmor's algorithm per container. Alerts
//    are counted in a 1 s window opened by the first alert; the alert that makes the count exceed
//    maxAlertPerSec is turned into the AlertThreshold alert; every further alert of the container
//    is dropped until throttleSec has passed since that window opened. Scenario 40 (max 2/s,
//    `apt` x5) therefore yields two Block alerts, one AlertThreshold, then nothing while throttled.
//
//  * "rule" (Rampart): a token bucket per (container, rule). Capacity maxAlertPerSec, refilled
//    at maxAlertPerSec tokens per second. An alert that finds no token is turned into the
//    AlertThreshold alert for that (container, rule) and the bucket drops that rule's alerts for
//    throttleSec; then the bucket is refilled. Noise from one rule (typically DefaultPosture)
//    cannot hide another rule's alerts (KubeArmor #2789).
//
// SystemEvent alerts pass through untouched. The clock is injected; call tick() periodically
// (e.g. every second) so throttles that end without further alerts still report their drops.

import type { Alert } from "../feeder/wire.js";
import { epochSeconds, formatUpdatedTime, type ThrottleKey } from "./labeller.js";

export interface ThrottleConfig {
  /** KubeArmor `alertThrottling`. */
  enabled: boolean;
  /** KubeArmor `maxAlertPerSec`. */
  maxAlertPerSec: number;
  /** KubeArmor `throttleSec`. */
  throttleSec: number;
  mode: "container" | "rule";
}

export const THROTTLE_DEFAULTS: ThrottleConfig = {
  enabled: true,
  maxAlertPerSec: 10,
  throttleSec: 30,
  mode: "container",
};

export interface ThrottleStats {
  /** Alerts passed through unchanged. */
  passed: number;
  /** Alerts dropped while a bucket was throttled (each one is counted in a later AlertsDropped record). */
  dropped: number;
  /** AlertThreshold alerts emitted. */
  thresholds: number;
  /** AlertsDropped records emitted. */
  summaries: number;
  /** Buckets throttled right now. */
  throttling: number;
}

interface Bucket {
  /** container mode: start of the 1 s counting window; rule mode: last refill time. */
  windowStart: number;
  count: number;
  tokens: number;
  /** Set while throttled: when the throttle began and when it ends. */
  throttleStart?: number;
  throttleEnd?: number;
  dropped: number;
  /** The last alert seen, for the identity fields of the AlertsDropped record. */
  last: Alert;
}

export class AlertThrottle {
  readonly config: ThrottleConfig;
  private readonly buckets = new Map<string, Bucket>();
  private readonly counters: Omit<ThrottleStats, "throttling"> = {
    passed: 0,
    dropped: 0,
    thresholds: 0,
    summaries: 0,
  };

  constructor(
    config: Partial<ThrottleConfig> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.config = { ...THROTTLE_DEFAULTS, ...config };
    if (!(this.config.maxAlertPerSec >= 1))
      throw new Error(`throttle: maxAlertPerSec must be >= 1, got ${this.config.maxAlertPerSec}`);
    if (!(this.config.throttleSec >= 1))
      throw new Error(`throttle: throttleSec must be >= 1, got ${this.config.throttleSec}`);
  }

  /** Offer one alert; returns what to publish, in order (0, 1 or 2 alerts). */
  admit(alert: Alert, key: ThrottleKey): Alert[] {
    if (!this.config.enabled || alert.Type === "SystemEvent") {
      this.counters.passed++;
      return [alert];
    }
    const t = this.now();
    const id = this.config.mode === "container" ? key.container : `${key.container}\u0000${key.rule}`;
    let b = this.buckets.get(id);
    const out: Alert[] = [];
    if (b && b.throttleEnd !== undefined) {
      if (t < b.throttleEnd) {
        b.dropped++;
        b.last = alert;
        this.counters.dropped++;
        return out;
      }
      out.push(this.endThrottle(id, b, t));
      b = undefined;
    }
    if (!b) {
      b = { windowStart: t, count: 0, tokens: this.config.maxAlertPerSec, dropped: 0, last: alert };
      this.buckets.set(id, b);
    }
    b.last = alert;
    const over = this.config.mode === "container" ? this.countWindow(b, t) : this.takeToken(b, t);
    if (!over) {
      this.counters.passed++;
      out.push(alert);
      return out;
    }
    // KubeArmor measures the throttle from the start of the counting window.
    b.throttleStart = this.config.mode === "container" ? b.windowStart : t;
    b.throttleEnd = b.throttleStart + this.config.throttleSec * 1000;
    this.counters.thresholds++;
    out.push({
      ...alert,
      Type: "SystemEvent",
      Operation: "AlertThreshold",
      MaxAlertsPerSec: this.config.maxAlertPerSec,
      DroppingAlertsInterval: this.config.throttleSec,
    });
    return out;
  }

  /** End throttles whose time is up (emitting their AlertsDropped records) and forget idle buckets. */
  tick(): Alert[] {
    const t = this.now();
    const out: Alert[] = [];
    for (const [id, b] of this.buckets) {
      if (b.throttleEnd !== undefined) {
        if (t >= b.throttleEnd) out.push(this.endThrottle(id, b, t));
      } else if (t - b.windowStart >= 1000) {
        // Idle for a second: a fresh bucket behaves the same (window over / tokens refilled to capacity).
        this.buckets.delete(id);
      }
    }
    return out;
  }

  /** A container went away: report its pending drops now and drop its buckets. */
  forget(container: string): Alert[] {
    const t = this.now();
    const out: Alert[] = [];
    for (const [id, b] of this.buckets) {
      if (id !== container && !id.startsWith(`${container}\u0000`)) continue;
      if (b.throttleEnd !== undefined) out.push(this.endThrottle(id, b, t));
      else this.buckets.delete(id);
    }
    return out;
  }

  stats(): ThrottleStats {
    let throttling = 0;
    for (const b of this.buckets.values()) if (b.throttleEnd !== undefined) throttling++;
    return { ...this.counters, throttling };
  }

  /** KubeArmor's fixed window: true when this alert makes the count exceed the limit. */
  private countWindow(b: Bucket, t: number): boolean {
    if (t - b.windowStart >= 1000) {
      b.windowStart = t;
      b.count = 1;
    } else {
      b.count++;
    }
    if (b.count > this.config.maxAlertPerSec) {
      b.count = 0;
      return true;
    }
    return false;
  }

  private takeToken(b: Bucket, t: number): boolean {
    const rate = this.config.maxAlertPerSec;
    b.tokens = Math.min(rate, b.tokens + ((t - b.windowStart) / 1000) * rate);
    b.windowStart = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return false;
    }
    return true;
  }

  private endThrottle(id: string, b: Bucket, t: number): Alert {
    this.buckets.delete(id);
    this.counters.summaries++;
    const since = formatUpdatedTime(b.throttleStart!);
    const until = formatUpdatedTime(t);
    const l = b.last;
    const scope = this.config.mode === "rule" ? ` of policy ${l.PolicyName || "?"}` : "";
    const where = l.ContainerID
      ? `container ${l.NamespaceName}/${l.PodName}/${l.ContainerName}`
      : `host ${l.HostName}`;
    return {
      Timestamp: epochSeconds(t),
      UpdatedTime: until,
      ClusterName: l.ClusterName ?? "",
      HostName: l.HostName ?? "",
      NamespaceName: l.NamespaceName ?? "",
      PodName: l.PodName ?? "",
      Labels: l.Labels ?? "",
      ContainerID: l.ContainerID ?? "",
      ContainerName: l.ContainerName ?? "",
      ContainerImage: l.ContainerImage ?? "",
      ...(l.Owner ? { Owner: l.Owner } : {}),
      NodeID: l.NodeID ?? "",
      PolicyName: this.config.mode === "rule" ? (l.PolicyName ?? "") : "",
      Type: "SystemEvent",
      Operation: "AlertsDropped",
      Message: `dropped ${b.dropped} alerts${scope} of ${where} since ${since} (throttled at ${this.config.maxAlertPerSec}/s for ${this.config.throttleSec}s)`,
      Data: `dropped=${b.dropped} since=${since} until=${until}`,
      EventData: { Dropped: String(b.dropped), Since: since, Until: until },
      MaxAlertsPerSec: this.config.maxAlertPerSec,
      DroppingAlertsInterval: this.config.throttleSec,
      KubeArmorVersion: l.KubeArmorVersion ?? "",
    };
  }
}
