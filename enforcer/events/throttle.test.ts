// SPDX-License-Identifier: Apache-2.0

import { test } from "node:test";
import assert from "node:assert/strict";
import { AlertThrottle, THROTTLE_DEFAULTS } from "./throttle.js";
import { labelEvent, type ThrottleKey } from "./labeller.js";
import { containerEvent, fileRule, postureDecision, processRule, ruleDecision } from "./fixtures.js";
import type { Alert } from "../feeder/wire.js";

function clock(start = 1_700_000_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

function alertFor(
  decision = ruleDecision(processRule("block-apt", "Block", { match: { type: "execname", name: "apt" } })),
): { alert: Alert; key: ThrottleKey } {
  const l = labelEvent(containerEvent({ decision, resource: "/usr/bin/apt", data: "syscall=SYS_EXECVE" }), {
    activeEnforcer: "BPFLSM",
  });
  if (l.kind !== "alert") throw new Error("fixture must be an alert");
  return { alert: l.alert, key: l.key };
}

const kinds = (alerts: Alert[]) => alerts.map(a => `${a.Type}/${a.Operation}`);

test("defaults are KubeArmor's: on, 10/s, 30 s, per container", () => {
  assert.deepEqual(THROTTLE_DEFAULTS, {
    enabled: true,
    maxAlertPerSec: 10,
    throttleSec: 30,
    mode: "container",
  });
});

test("scenario 40 (container mode, max 2/s, 60 s): exactly one AlertThreshold, then nothing while throttled", () => {
  const c = clock();
  const th = new AlertThrottle({ maxAlertPerSec: 2, throttleSec: 60 }, c.now);
  const { alert, key } = alertFor();
  const out: Alert[] = [];
  for (let i = 0; i < 5; i++) {
    out.push(...th.admit(alert, key));
    c.t += 50;
  } // apt x5
  c.t += 3000;
  for (let i = 0; i < 3; i++) {
    out.push(...th.admit(alert, key));
    c.t += 100;
  } // apt update
  out.push(...th.tick());
  assert.deepEqual(kinds(out), [
    "MatchedPolicy/Process",
    "MatchedPolicy/Process",
    "SystemEvent/AlertThreshold",
  ]);
  const threshold = out[2]!;
  assert.equal(threshold.MaxAlertsPerSec, 2);
  assert.equal(threshold.DroppingAlertsInterval, 60);
  assert.equal(threshold.ContainerID, alert.ContainerID, "identity kept on the threshold alert");
  assert.equal(th.stats().dropped, 5);
  assert.equal(th.stats().throttling, 1);
  // The throttle ends 60 s after the counting window opened: one explicit "dropped N" record.
  c.t = 1_700_000_000_000 + 60_000;
  const end = th.tick();
  assert.deepEqual(kinds(end), ["SystemEvent/AlertsDropped"]);
  assert.equal(end[0]!.EventData!.Dropped, "5");
  assert.match(
    end[0]!.Message!,
    /^dropped 5 alerts of container multiubuntu\/ubuntu-1-deployment-5d6b975744-rrkhr\/ubuntu-1-container since \d{4}-\d\d-\d\dT/,
  );
  assert.equal(end[0]!.Data, `dropped=5 since=${end[0]!.EventData!.Since} until=${end[0]!.EventData!.Until}`);
  // Alerts flow again afterwards.
  assert.deepEqual(kinds(th.admit(alert, key)), ["MatchedPolicy/Process"]);
  assert.deepEqual(th.stats(), { passed: 3, dropped: 5, thresholds: 1, summaries: 1, throttling: 0 });
});

test("container mode: the limit is per 1 s window; spaced alerts never throttle", () => {
  const c = clock();
  const th = new AlertThrottle({}, c.now);
  const { alert, key } = alertFor();
  let passed = 0;
  for (let i = 0; i < 100; i++) {
    passed += th.admit(alert, key).length;
    c.t += 101;
  } // ~9.9/s
  assert.equal(passed, 100);
  const burst: Alert[] = [];
  c.t += 2000;
  for (let i = 0; i < 11; i++) burst.push(...th.admit(alert, key));
  assert.deepEqual(kinds(burst).slice(-2), ["MatchedPolicy/Process", "SystemEvent/AlertThreshold"]);
  assert.equal(burst.length, 11);
});

test("admit() at the end of a throttle reports the drops first, then the alert", () => {
  const c = clock();
  const th = new AlertThrottle({ maxAlertPerSec: 1, throttleSec: 5 }, c.now);
  const { alert, key } = alertFor();
  th.admit(alert, key);
  th.admit(alert, key); // threshold
  th.admit(alert, key); // dropped
  c.t += 5000;
  assert.deepEqual(kinds(th.admit(alert, key)), ["SystemEvent/AlertsDropped", "MatchedPolicy/Process"]);
});

test("container mode reproduces KubeArmor #2789: DefaultPosture noise hides a rule's alert", () => {
  const c = clock();
  const th = new AlertThrottle({}, c.now);
  const noise = alertFor(postureDecision("file", "block"));
  const real = alertFor(ruleDecision(fileRule("protect-secret", "Block")));
  for (let i = 0; i < 20; i++) th.admit(noise.alert, noise.key);
  assert.deepEqual(th.admit(real.alert, real.key), []);
});

test("rule mode: a token bucket per (container, rule) keeps the rule's alert visible", () => {
  const c = clock();
  const th = new AlertThrottle({ mode: "rule" }, c.now);
  const noise = alertFor(postureDecision("file", "block"));
  const real = alertFor(ruleDecision(fileRule("protect-secret", "Block")));
  const out: Alert[] = [];
  for (let i = 0; i < 20; i++) out.push(...th.admit(noise.alert, noise.key));
  assert.deepEqual(kinds(out).filter(k => k === "SystemEvent/AlertThreshold").length, 1);
  assert.equal(out.length, 11);
  const got = th.admit(real.alert, real.key);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.PolicyName, "protect-secret");
  assert.equal(th.stats().dropped, 9);
});

test("rule mode: tokens refill at maxAlertPerSec per second", () => {
  const c = clock();
  const th = new AlertThrottle({ mode: "rule", maxAlertPerSec: 2, throttleSec: 10 }, c.now);
  const { alert, key } = alertFor();
  assert.equal(th.admit(alert, key)[0]!.Type, "MatchedPolicy");
  assert.equal(th.admit(alert, key)[0]!.Type, "MatchedPolicy");
  c.t += 500; // one token back
  assert.equal(th.admit(alert, key)[0]!.Type, "MatchedPolicy");
  assert.equal(th.admit(alert, key)[0]!.Operation, "AlertThreshold");
  assert.deepEqual(th.admit(alert, key), []);
  c.t += 10_000;
  const end = th.tick();
  assert.equal(end.length, 1);
  assert.equal(end[0]!.PolicyName, "block-apt");
  assert.match(end[0]!.Message!, /^dropped 1 alerts of policy block-apt of container /);
});

test("scenario 40 observable result also holds in rule mode", () => {
  const c = clock();
  const th = new AlertThrottle({ mode: "rule", maxAlertPerSec: 2, throttleSec: 60 }, c.now);
  const { alert, key } = alertFor();
  const out: Alert[] = [];
  for (let i = 0; i < 5; i++) {
    out.push(...th.admit(alert, key));
    c.t += 50;
  }
  c.t += 3000;
  for (let i = 0; i < 3; i++) out.push(...th.admit(alert, key));
  assert.equal(kinds(out).filter(k => k === "SystemEvent/AlertThreshold").length, 1);
  assert.equal(out.at(-1)!.Operation, "AlertThreshold");
});

test("disabled throttling and SystemEvent alerts pass untouched", () => {
  const th = new AlertThrottle({ enabled: false });
  const { alert, key } = alertFor();
  for (let i = 0; i < 100; i++) assert.equal(th.admit(alert, key).length, 1);
  const on = new AlertThrottle({ maxAlertPerSec: 1 });
  const sys = { ...alert, Type: "SystemEvent", Operation: "AlertThreshold" };
  for (let i = 0; i < 10; i++) assert.deepEqual(on.admit(sys, key), [sys]);
});

test("forget(): a removed container reports its pending drops at once; idle buckets are pruned", () => {
  const c = clock();
  const th = new AlertThrottle({ maxAlertPerSec: 1 }, c.now);
  const { alert, key } = alertFor();
  th.admit(alert, key);
  th.admit(alert, key);
  th.admit(alert, key);
  const out = th.forget(key.container);
  assert.deepEqual(kinds(out), ["SystemEvent/AlertsDropped"]);
  assert.equal(out[0]!.EventData!.Dropped, "1");
  th.admit(alert, key);
  c.t += 1000;
  assert.deepEqual(th.tick(), []);
  assert.equal(th.stats().throttling, 0);
});

test("bad configuration is a clear error", () => {
  assert.throws(() => new AlertThrottle({ maxAlertPerSec: 0 }), /maxAlertPerSec must be >= 1/);
  assert.throws(() => new AlertThrottle({ throttleSec: 0 }), /throttleSec must be >= 1/);
});
