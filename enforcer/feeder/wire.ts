// SPDX-License-Identifier: Apache-2.0
//
// The wire side of the alert stream: TypeScript shapes of KubeArmor's `feeder` messages
// (field names exactly as in proto/kubearmor.proto), and the loaded protobuf/gRPC definitions.
// The .proto text is embedded (protos.ts) so the single-file bundle needs no files at run time.

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { HEALTH_PROTO, KUBEARMOR_PROTO } from "./protos.js";

export interface Podowner {
  Ref?: string;
  Name?: string;
  Namespace?: string;
}

export interface ExecEvent {
  ExecID?: string;
  ExecutableName?: string;
}

/** feeder.Alert. Every field is optional on the wire (proto3); the labeller fills what it knows. */
export interface Alert {
  /** Epoch seconds (KubeArmor uses time.Unix()). */
  Timestamp?: number;
  /** The same instant, UTC, `2006-01-02T15:04:05.000000Z` layout. */
  UpdatedTime?: string;
  ClusterName?: string;
  HostName?: string;
  NamespaceName?: string;
  Owner?: Podowner;
  PodName?: string;
  Labels?: string;
  ContainerID?: string;
  ContainerName?: string;
  ContainerImage?: string;
  HostPPID?: number;
  HostPID?: number;
  PPID?: number;
  PID?: number;
  UID?: number;
  ParentProcessName?: string;
  ProcessName?: string;
  PolicyName?: string;
  Severity?: string;
  Tags?: string;
  ATags?: string[];
  Message?: string;
  Type?: string;
  Source?: string;
  Operation?: string;
  Resource?: string;
  Data?: string;
  EventData?: Record<string, string>;
  Enforcer?: string;
  Action?: string;
  Result?: string;
  Cwd?: string;
  TTY?: string;
  MaxAlertsPerSec?: number;
  DroppingAlertsInterval?: number;
  ExecEvent?: ExecEvent;
  KubeArmorVersion?: string;
  NodeID?: string;
  ProcessHash?: string;
  ParentHash?: string;
  ResourceHash?: string;
  HashAlgo?: string;
  UserName?: string;
}

/** feeder.Log: telemetry (ContainerLog / HostLog). No policy fields. */
export interface Log {
  Timestamp?: number;
  UpdatedTime?: string;
  ClusterName?: string;
  HostName?: string;
  NamespaceName?: string;
  Owner?: Podowner;
  PodName?: string;
  Labels?: string;
  ContainerID?: string;
  ContainerName?: string;
  ContainerImage?: string;
  ParentProcessName?: string;
  ProcessName?: string;
  HostPPID?: number;
  HostPID?: number;
  PPID?: number;
  PID?: number;
  UID?: number;
  Type?: string;
  Source?: string;
  Operation?: string;
  Resource?: string;
  Data?: string;
  EventData?: Record<string, string>;
  Result?: string;
  Cwd?: string;
  TTY?: string;
  ExecEvent?: ExecEvent;
  NodeID?: string;
  ProcessHash?: string;
  ParentHash?: string;
  ResourceHash?: string;
  HashAlgo?: string;
  UserName?: string;
}

/** feeder.Message: a daemon message (WatchMessages). */
export interface DaemonMessage {
  Timestamp?: number;
  UpdatedTime?: string;
  ClusterName?: string;
  HostName?: string;
  HostIP?: string;
  Type?: string;
  Level?: string;
  Message?: string;
}

/** Filter strings each streaming RPC serves (kubearmor-compat §12.1); anything else ends the stream at once. */
export const ALERT_FILTERS: readonly string[] = ["all", "policy"];
export const LOG_FILTERS: readonly string[] = ["all", "system"];

export const LOG_SERVICE = "feeder.LogService";
export const HEALTH_SERVICE = "grpc.health.v1.Health";

let cachedRoot: protobuf.Root | undefined;

/** protobufjs Root holding feeder.* and grpc.health.v1.*, field names kept exactly as written. */
export function protoRoot(): protobuf.Root {
  if (!cachedRoot) {
    const root = new protobuf.Root();
    protobuf.parse(KUBEARMOR_PROTO, root, { keepCase: true });
    protobuf.parse(HEALTH_PROTO, root, { keepCase: true });
    root.resolveAll();
    cachedRoot = root;
  }
  return cachedRoot;
}

/**
 * Decoding options shared by server and client: int64 as JS numbers (epoch seconds fit),
 * enums as names, defaults filled so readers never see undefined for scalar fields.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cachedPackage: grpc.GrpcObject | undefined;

/** The gRPC package object: `.feeder.LogService` and `.grpc.health.v1.Health` client constructors. */
export function grpcPackage(): grpc.GrpcObject {
  if (!cachedPackage) {
    const definition = protoLoader.fromJSON(protoRoot().toJSON(), LOADER_OPTIONS);
    cachedPackage = grpc.loadPackageDefinition(definition);
  }
  return cachedPackage;
}

function lookup(obj: grpc.GrpcObject, dotted: string): grpc.ServiceClientConstructor {
  let cur: unknown = obj;
  for (const part of dotted.split(".")) cur = (cur as Record<string, unknown>)[part];
  return cur as grpc.ServiceClientConstructor;
}

export function logServiceClient(): grpc.ServiceClientConstructor {
  return lookup(grpcPackage(), LOG_SERVICE);
}

export function healthClient(): grpc.ServiceClientConstructor {
  return lookup(grpcPackage(), HEALTH_SERVICE);
}

/**
 * Service definitions for the server whose response serializers accept an already-encoded
 * Buffer: the feeder encodes each event once and writes the same bytes to every client.
 */
export function serverDefinition(
  service: "feeder.LogService" | "grpc.health.v1.Health",
): grpc.ServiceDefinition {
  const base = lookup(grpcPackage(), service).service;
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(base)) {
    const encode = method.responseSerialize;
    out[name] = {
      ...method,
      responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : encode(value)),
    };
  }
  return out as grpc.ServiceDefinition;
}

let alertType: protobuf.Type | undefined;
let logType: protobuf.Type | undefined;
let messageType: protobuf.Type | undefined;

/** Encode once for fan-out. Throws on a field of the wrong type (protobufjs verify), never writes garbage. */
export function encodeAlert(alert: Alert): Buffer {
  alertType ??= protoRoot().lookupType("feeder.Alert");
  return encodeChecked(alertType, alert);
}

export function encodeLog(log: Log): Buffer {
  logType ??= protoRoot().lookupType("feeder.Log");
  return encodeChecked(logType, log);
}

export function encodeMessage(msg: DaemonMessage): Buffer {
  messageType ??= protoRoot().lookupType("feeder.Message");
  return encodeChecked(messageType, msg);
}

function encodeChecked(type: protobuf.Type, value: object): Buffer {
  const problem = type.verify(value);
  if (problem) throw new Error(`${type.fullName.slice(1)}: ${problem}`);
  const bytes = type.encode(value).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeAlert(bytes: Uint8Array): Alert {
  alertType ??= protoRoot().lookupType("feeder.Alert");
  return alertType.toObject(alertType.decode(bytes), { longs: Number }) as Alert;
}
