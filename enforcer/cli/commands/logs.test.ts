// SPDX-License-Identifier: Apache-2.0
//
// `rampart logs` run as a child process against a real feeder on loopback.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Feeder } from "../../feeder/feeder.js";
import { karmorObject } from "../../feeder/format.js";
import { makePki, runCli, waitFor, type CliRun } from "../../feeder/testing.js";
import { labelEvent } from "../../events/labeller.js";
import {
  containerEvent,
  hostEvent,
  postureDecision,
  processRule,
  ruleDecision,
} from "../../events/fixtures.js";
import type { Alert, Log } from "../../feeder/wire.js";

function alert(over: Parameters<typeof containerEvent>[0] = {}, host = false): Alert {
  const ev = host ? hostEvent(over) : containerEvent(over);
  const l = labelEvent(ev, { activeEnforcer: "BPFLSM", version: "rampart-test" });
  if (l.kind !== "alert") throw new Error("fixture must be an alert");
  return l.alert;
}

const block = alert({ decision: ruleDecision(processRule("block-sleep", "Block", { tags: ["A", "B"] })) });
const posture = alert({
  operation: "File",
  resource: "/etc/hostname",
  decision: postureDecision("file", "block"),
});
const hostAudit = alert(
  { result: "Passed", decision: ruleDecision(processRule("hsp-audit", "Audit", {}, "KubeArmorHostPolicy")) },
  true,
);
const otherNs: Alert = { ...block, NamespaceName: "nginx1", PodName: "nginx-abc" };

/** Start the CLI, wait until its streams are subscribed, then publish. */
async function runAgainst(
  feeder: Feeder,
  args: string[],
  subscribers: { alerts?: number; logs?: number },
  publish: () => void,
  env = {},
): Promise<CliRun> {
  const before = feeder.stats().clients;
  const run = runCli(["logs", ...args], env);
  await waitFor("the CLI to subscribe", () => {
    const c = feeder.stats().clients;
    return (
      c.alerts >= before.alerts + (subscribers.alerts ?? 0) && c.logs >= before.logs + (subscribers.logs ?? 0)
    );
  });
  publish();
  return run;
}

describe("rampart logs against a live feeder", () => {
  const feeder = new Feeder({ address: "127.0.0.1:0" });
  let address = "";
  before(async () => {
    address = (await feeder.start()).address;
  });
  after(() => feeder.stop());

  test("--json --limit N prints exactly the published alerts, karmor's JSON (proto names, empties omitted)", async () => {
    const run = await runAgainst(feeder, ["--grpc", address, "--json", "--limit", "3"], { alerts: 1 }, () => {
      for (const a of [block, posture, hostAudit]) feeder.publishAlert(a);
    });
    assert.equal(await run.code, 0, run.stderr());
    const lines = run
      .stdout()
      .trim()
      .split("\n")
      .map(l => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    assert.deepEqual(
      lines,
      [block, posture, hostAudit].map(a => karmorObject(a as Record<string, unknown>, "Alert")),
    );
    // Every identity field is there (zero-valued UID of root is omitted, as Go's omitempty does).
    for (const k of [
      "ClusterName",
      "HostName",
      "NamespaceName",
      "PodName",
      "Labels",
      "ContainerID",
      "ContainerName",
      "ContainerImage",
      "Owner",
      "HostPID",
      "HostPPID",
      "PID",
      "PPID",
      "ProcessName",
      "ParentProcessName",
      "Cwd",
      "TTY",
    ]) {
      assert.ok(k in lines[0]!, `missing ${k}`);
    }
    assert.equal(lines[1]!.PolicyName, "DefaultPosture");
    assert.equal(lines[2]!.Type, "MatchedHostPolicy");
  });

  test("default text output: karmor's `== Alert / <time> ==` blocks", async () => {
    const run = await runAgainst(feeder, ["--grpc", address, "--limit", "1"], { alerts: 1 }, () =>
      feeder.publishAlert(block),
    );
    assert.equal(await run.code, 0, run.stderr());
    const out = run.stdout();
    assert.match(
      out,
      /^== Alert \/ 2023-12-21 02:20:00\.470294 ==\nClusterName: default\nHostName: node-1\nNamespaceName: multiubuntu\n/,
    );
    assert.match(out, /\nType: MatchedPolicy\nPolicyName: block-sleep\nSeverity: 5\n/);
    assert.match(
      out,
      /\nAction: Block\nData: syscall=SYS_EXECVE\nEnforcer: BPFLSM\nResult: Permission denied\n/,
    );
  });

  test("client-side filters: -n is a case-insensitive regex, --type and --operation too", async () => {
    const run = await runAgainst(
      feeder,
      [
        "--grpc",
        address,
        "--json",
        "--limit",
        "2",
        "-n",
        "^MULTI",
        "--operation",
        "file|PROCESS",
        "--type",
        "matchedpolicy",
      ],
      { alerts: 1 },
      () => {
        for (const a of [otherNs, hostAudit, block, otherNs, posture]) feeder.publishAlert(a);
      },
    );
    assert.equal(await run.code, 0, run.stderr());
    const got = run
      .stdout()
      .trim()
      .split("\n")
      .map(l => JSON.parse(l) as Alert);
    assert.deepEqual(
      got.map(a => [a.NamespaceName, a.PolicyName]),
      [
        ["multiubuntu", "block-sleep"],
        ["multiubuntu", "DefaultPosture"],
      ],
    );
  });

  test("--filter system streams logs (WatchLogs); --filter all streams both", async () => {
    const log: Log = (() => {
      const l = labelEvent(containerEvent({ result: "Passed", enforcer: "eBPF Monitor" }), {
        activeEnforcer: "BPFLSM",
      });
      if (l.kind !== "log") throw new Error("fixture");
      return l.log;
    })();
    const sys = await runAgainst(
      feeder,
      ["--grpc", address, "--filter", "system", "--json", "--limit", "1"],
      { logs: 1 },
      () => {
        feeder.publishAlert(block);
        feeder.publishLog(log);
      },
    );
    assert.equal(await sys.code, 0, sys.stderr());
    assert.equal((JSON.parse(sys.stdout()) as Log).Type, "ContainerLog");
    const all = await runAgainst(
      feeder,
      ["--grpc", address, "--filter", "all", "--json", "--limit", "2"],
      { alerts: 1, logs: 1 },
      () => {
        feeder.publishAlert(block);
        feeder.publishLog(log);
      },
    );
    assert.equal(await all.code, 0, all.stderr());
    const types = all
      .stdout()
      .trim()
      .split("\n")
      .map(l => (JSON.parse(l) as Alert).Type)
      .sort();
    assert.deepEqual(types, ["ContainerLog", "MatchedPolicy"]);
  });

  test("$KUBEARMOR_SERVICE is the default address; -o daemon-json uses KubeArmor's stdout names", async () => {
    const run = await runAgainst(
      feeder,
      ["-o", "daemon-json", "--limit", "1"],
      { alerts: 1 },
      () => feeder.publishAlert(block),
      { KUBEARMOR_SERVICE: address },
    );
    assert.equal(await run.code, 0, run.stderr());
    const obj = JSON.parse(run.stdout()) as Record<string, unknown>;
    assert.equal(obj.namespaceName, "multiubuntu");
    assert.equal(obj.policyName, "block-sleep");
    assert.deepEqual(obj.owner, { ref: "Deployment", name: "ubuntu-1-deployment", namespace: "multiubuntu" });
    assert.equal(obj.hostPPid, 347993);
  });

  test("-f streams until interrupted; SIGINT exits 0", async () => {
    const run = await runAgainst(feeder, ["--grpc", address, "-f", "--json"], { alerts: 1 }, () =>
      feeder.publishAlert(block),
    );
    await waitFor("one line", () => run.stdout().includes("\n"));
    run.kill("SIGINT");
    assert.equal(await run.code, 0);
  });
});

describe("rampart logs errors", () => {
  test("unreachable feeder: one clear line, exit 1, bounded by --timeout", async () => {
    const run = runCli(["logs", "--grpc", "127.0.0.1:1", "--timeout", "1"]);
    assert.equal(await run.code, 1);
    const lines = run.stderr().trim().split("\n");
    assert.equal(lines.length, 1, run.stderr());
    assert.match(lines[0]!, /^rampart logs: cannot reach the feeder at 127\.0\.0\.1:1 within 1s/);
  });

  test("usage errors exit 2 with a message", async () => {
    for (const [args, re] of [
      [["--filter", "bogus"], /--filter must be policy, system or all/],
      [["--limit=-3"], /--limit must be a non-negative integer/],
      [["--limit", "many"], /--limit must be a non-negative integer/],
      [["--grpc", "nohost"], /--grpc must be HOST:PORT/],
      [["-n", "("], /invalid regular expression for NamespaceName/],
      [["--tls-cert", "/x"], /--tls-cert and --tls-key go together/],
      [["--frobnicate"], /Unknown option '--frobnicate'/],
    ] as const) {
      const run = runCli(["logs", ...args]);
      assert.equal(await run.code, 2, args.join(" "));
      assert.match(run.stderr(), re);
    }
  });

  test("--help documents every flag", async () => {
    const run = runCli(["logs", "--help"]);
    assert.equal(await run.code, 0);
    for (const flag of [
      "--grpc",
      "--filter",
      "-f, --follow",
      "--limit",
      "--json",
      "-n, --namespace",
      "--pod",
      "--container",
      "--operation",
      "--type",
      "--tls-ca",
      "--tls-cert",
      "--tls-key",
      "--timeout",
    ]) {
      assert.ok(run.stdout().includes(flag), flag);
    }
  });
});

describe("rampart logs over mTLS", () => {
  test("--tls-ca/--tls-cert/--tls-key reach an mTLS feeder; without the client cert it cannot", async () => {
    const pki = makePki();
    const feeder = new Feeder({
      address: "127.0.0.1:0",
      tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requireClientCert: true },
    });
    const { address } = await feeder.start();
    const run = await runAgainst(
      feeder,
      [
        "--grpc",
        address,
        "--tls-ca",
        pki.caPath,
        "--tls-cert",
        pki.clientCertPath,
        "--tls-key",
        pki.clientKeyPath,
        "--json",
        "--limit",
        "1",
      ],
      { alerts: 1 },
      () => feeder.publishAlert(block),
    );
    assert.equal(await run.code, 0, run.stderr());
    assert.equal((JSON.parse(run.stdout()) as Alert).PolicyName, "block-sleep");
    const refused = runCli(["logs", "--grpc", address, "--tls-ca", pki.caPath, "--timeout", "1"]);
    assert.equal(await refused.code, 1);
    assert.match(refused.stderr(), /cannot reach the feeder .* \(TLS\)/);
    await feeder.stop();
  });
});
