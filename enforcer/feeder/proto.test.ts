// SPDX-License-Identifier: Apache-2.0
//
// Guards the wire contract: proto/kubearmor.proto must declare exactly the names, tag numbers
// and types transcribed below from kubearmor-compat.md §12 (which records KubeArmor's
// protobuf/kubearmor.proto). Any drift — a renumbered tag, a retyped or renamed field, an extra
// or missing field — fails here before it can break karmor or the relay.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { renderProtosModule } from "./gen-protos.js";

const PROTO = join(__dirname, "..", "..", "proto", "kubearmor.proto");

type Row = [name: string, tag: number, type: string];

// "repeated string", "map<string, string>" and message names are spelled as in the compat table.
const MESSAGES: Record<string, Row[]> = {
  NonceMessage: [["nonce", 1, "int32"]],
  ReplyMessage: [["Retval", 1, "int32"]],
  RequestMessage: [["Filter", 1, "string"]],
  Message: [
    ["Timestamp", 1, "int64"],
    ["UpdatedTime", 2, "string"],
    ["ClusterName", 3, "string"],
    ["HostName", 4, "string"],
    ["HostIP", 5, "string"],
    ["Type", 6, "string"],
    ["Level", 7, "string"],
    ["Message", 8, "string"],
  ],
  Podowner: [
    ["Ref", 1, "string"],
    ["Name", 2, "string"],
    ["Namespace", 3, "string"],
  ],
  ExecEvent: [
    ["ExecID", 1, "string"],
    ["ExecutableName", 2, "string"],
  ],
  Alert: [
    ["Timestamp", 1, "int64"],
    ["UpdatedTime", 2, "string"],
    ["ClusterName", 3, "string"],
    ["HostName", 4, "string"],
    ["NamespaceName", 5, "string"],
    ["Owner", 31, "Podowner"],
    ["PodName", 6, "string"],
    ["Labels", 29, "string"],
    ["ContainerID", 7, "string"],
    ["ContainerName", 8, "string"],
    ["ContainerImage", 24, "string"],
    ["HostPPID", 27, "int32"],
    ["HostPID", 9, "int32"],
    ["PPID", 10, "int32"],
    ["PID", 11, "int32"],
    ["UID", 12, "int32"],
    ["ParentProcessName", 25, "string"],
    ["ProcessName", 26, "string"],
    ["PolicyName", 13, "string"],
    ["Severity", 14, "string"],
    ["Tags", 15, "string"],
    ["ATags", 30, "repeated string"],
    ["Message", 16, "string"],
    ["Type", 17, "string"],
    ["Source", 18, "string"],
    ["Operation", 19, "string"],
    ["Resource", 20, "string"],
    ["Data", 21, "string"],
    ["EventData", 43, "map<string, string>"],
    ["Enforcer", 28, "string"],
    ["Action", 22, "string"],
    ["Result", 23, "string"],
    ["Cwd", 32, "string"],
    ["TTY", 33, "string"],
    ["MaxAlertsPerSec", 34, "int32"],
    ["DroppingAlertsInterval", 35, "int32"],
    ["ExecEvent", 36, "ExecEvent"],
    ["KubeArmorVersion", 37, "string"],
    ["NodeID", 38, "string"],
    ["ProcessHash", 39, "string"],
    ["ParentHash", 40, "string"],
    ["ResourceHash", 41, "string"],
    ["HashAlgo", 42, "string"],
    ["UserName", 44, "string"],
  ],
  Log: [
    ["Timestamp", 1, "int64"],
    ["UpdatedTime", 2, "string"],
    ["ClusterName", 3, "string"],
    ["HostName", 4, "string"],
    ["NamespaceName", 5, "string"],
    ["Owner", 24, "Podowner"],
    ["PodName", 6, "string"],
    ["Labels", 23, "string"],
    ["ContainerID", 7, "string"],
    ["ContainerName", 8, "string"],
    ["ContainerImage", 19, "string"],
    ["ParentProcessName", 20, "string"],
    ["ProcessName", 21, "string"],
    ["HostPPID", 22, "int32"],
    ["HostPID", 9, "int32"],
    ["PPID", 10, "int32"],
    ["PID", 11, "int32"],
    ["UID", 12, "int32"],
    ["Type", 13, "string"],
    ["Source", 14, "string"],
    ["Operation", 15, "string"],
    ["Resource", 16, "string"],
    ["Data", 17, "string"],
    ["EventData", 33, "map<string, string>"],
    ["Result", 18, "string"],
    ["Cwd", 25, "string"],
    ["TTY", 26, "string"],
    ["ExecEvent", 27, "ExecEvent"],
    ["NodeID", 28, "string"],
    ["ProcessHash", 29, "string"],
    ["ParentHash", 30, "string"],
    ["ResourceHash", 31, "string"],
    ["HashAlgo", 32, "string"],
    ["UserName", 34, "string"],
  ],
};

const RPCS: Array<[name: string, request: string, response: string, responseStream: boolean]> = [
  ["HealthCheck", "NonceMessage", "ReplyMessage", false],
  ["WatchMessages", "RequestMessage", "Message", true],
  ["WatchAlerts", "RequestMessage", "Alert", true],
  ["WatchLogs", "RequestMessage", "Log", true],
];

function spell(field: protobuf.Field): string {
  if (field instanceof protobuf.MapField) return `map<${field.keyType}, ${field.type}>`;
  return field.repeated ? `repeated ${field.type}` : field.type;
}

const text = readFileSync(PROTO, "utf8");
const parsed = protobuf.parse(text, { keepCase: true });

test("kubearmor.proto: syntax, package and go_package", () => {
  // protobufjs 7.5 no longer reports `syntax` on the parse result; check the declaration itself.
  assert.match(text, /^syntax = "proto3";$/m);
  assert.doesNotMatch(text, /^\s*(optional|required)\s/m, "proto3 fields carry no label");
  assert.equal(parsed.package, "feeder");
  assert.match(text, /^option go_package = "github\.com\/kubearmor\/KubeArmor\/protobuf";$/m);
});

test("kubearmor.proto: exactly the messages of the contract", () => {
  const ns = parsed.root.lookup("feeder") as protobuf.Namespace;
  const declared = ns.nestedArray
    .filter(n => n instanceof protobuf.Type)
    .map(n => n.name)
    .sort();
  assert.deepEqual(declared, Object.keys(MESSAGES).sort());
});

for (const [message, rows] of Object.entries(MESSAGES)) {
  test(`kubearmor.proto: feeder.${message} fields (name, tag, type, declaration order)`, () => {
    const type = parsed.root.lookupType(`feeder.${message}`);
    const actual: Row[] = type.fieldsArray.map(f => [f.name, f.id, spell(f)]);
    assert.deepEqual(actual, rows);
    assert.equal(type.oneofsArray.length, 0);
  });
}

test("kubearmor.proto: Alert uses tags 1-44 and Log 1-34, each exactly once", () => {
  for (const [message, max] of [
    ["Alert", 44],
    ["Log", 34],
  ] as const) {
    const tags = parsed.root
      .lookupType(`feeder.${message}`)
      .fieldsArray.map(f => f.id)
      .sort((a, b) => a - b);
    assert.deepEqual(
      tags,
      Array.from({ length: max }, (_, i) => i + 1),
      message,
    );
  }
});

test("kubearmor.proto: service LogService and its RPCs", () => {
  const service = parsed.root.lookupService("feeder.LogService");
  const actual = service.methodsArray.map(m => [
    m.name,
    m.requestType,
    m.responseType,
    Boolean(m.responseStream),
  ]);
  assert.deepEqual(actual, RPCS);
  for (const m of service.methodsArray) assert.equal(Boolean(m.requestStream), false, m.name);
});

test("health.proto: grpc.health.v1 Health with Check and Watch", () => {
  const health = protobuf.parse(readFileSync(join(__dirname, "..", "..", "proto", "health.proto"), "utf8"), {
    keepCase: true,
  });
  const service = health.root.lookupService("grpc.health.v1.Health");
  assert.deepEqual(
    service.methodsArray.map(m => [m.name, Boolean(m.responseStream)]),
    [
      ["Check", false],
      ["Watch", true],
    ],
  );
  const status = health.root.lookupEnum("grpc.health.v1.HealthCheckResponse.ServingStatus");
  assert.deepEqual({ ...status.values }, { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 });
});

/** Every difference between a .proto text and the contract table, as readable lines. */
function contractDrift(protoText: string): string[] {
  const root = protobuf.parse(protoText, { keepCase: true }).root;
  const problems: string[] = [];
  for (const [message, rows] of Object.entries(MESSAGES)) {
    const type = root.lookupType(`feeder.${message}`);
    const actual = new Map(type.fieldsArray.map(f => [f.name, `${f.id} ${spell(f)}`]));
    for (const [name, tag, t] of rows) {
      const got = actual.get(name);
      if (got !== `${tag} ${t}`)
        problems.push(`${message}.${name}: want ${tag} ${t}, got ${got ?? "nothing"}`);
      actual.delete(name);
    }
    for (const name of actual.keys()) problems.push(`${message}.${name}: not in the contract`);
  }
  return problems;
}

test("drift detection: the real file has none; a renumbered, retyped, renamed or extra field is reported", () => {
  assert.deepEqual(contractDrift(text), []);
  const mutations: Array<[string, string, RegExp]> = [
    ["Podowner Owner = 31;", "Podowner Owner = 45;", /Alert\.Owner: want 31 Podowner, got 45 Podowner/],
    [
      "int32 HostPID = 9;\n  int32 PPID = 10;\n  int32 PID = 11;\n  int32 UID = 12;\n\n  string ParentProcessName = 25;",
      "int64 HostPID = 9;\n  int32 PPID = 10;\n  int32 PID = 11;\n  int32 UID = 12;\n\n  string ParentProcessName = 25;",
      /Alert\.HostPID: want 9 int32, got 9 int64/,
    ],
    ["string UserName = 34;", "string Username = 34;", /Log\.UserName: want 34 string, got nothing/],
    [
      "string Filter = 1;",
      "string Filter = 1;\n  string Extra = 2;",
      /RequestMessage\.Extra: not in the contract/,
    ],
  ];
  for (const [from, to, want] of mutations) {
    assert.ok(text.includes(from), `mutation anchor missing: ${from}`);
    const problems = contractDrift(text.replace(from, to));
    assert.ok(
      problems.some(p => want.test(p)),
      `${to}: ${problems.join("; ")}`,
    );
  }
});

test("protos.ts embeds the current proto files (regenerate with gen-protos.ts)", () => {
  const embedded = readFileSync(join(__dirname, "protos.ts"), "utf8");
  assert.equal(embedded, renderProtosModule(), "run: node --import tsx enforcer/feeder/gen-protos.ts");
});
