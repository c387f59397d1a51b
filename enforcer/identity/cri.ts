// SPDX-License-Identifier: Apache-2.0
//
// A minimal CRI v1 client (runtime.v1.RuntimeService) over the container runtime's unix socket,
// built from the embedded subset proto (proto/cri/api.proto) with @grpc/grpc-js. This is the one
// interface between Rampart and the container runtime: list sandboxes and containers, and
// container status (verbose info carries the init pid).

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { CRI_PROTO } from "./cri-proto.js";

export const DEFAULT_CONTAINERD_SOCKET = "/run/containerd/containerd.sock";

export interface CriPodSandbox {
  id: string;
  metadata?: { name: string; uid: string; namespace: string; attempt: number };
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  created_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface CriContainer {
  id: string;
  pod_sandbox_id: string;
  metadata?: { name: string; attempt: number };
  image?: { image: string };
  image_ref: string;
  state: "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";
  created_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface CriContainerStatus {
  status?: CriContainer & { started_at: string };
  /** Verbose info; containerd puts a JSON document under "info" with "pid". */
  info: Record<string, string>;
}

type Unary = (
  req: object,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => void;

let definition: grpc.GrpcObject | undefined;
function runtimeServiceCtor(): grpc.ServiceClientConstructor {
  if (!definition) {
    const root = new protobuf.Root();
    protobuf.parse(CRI_PROTO, root, { keepCase: true });
    const pkg = protoLoader.fromJSON(root.toJSON(), {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    definition = grpc.loadPackageDefinition(pkg);
  }
  const runtime = (definition["runtime"] as grpc.GrpcObject)["v1"] as grpc.GrpcObject;
  return runtime["RuntimeService"] as grpc.ServiceClientConstructor;
}

export class CriClient {
  private readonly client: grpc.Client;
  readonly endpoint: string;

  constructor(
    socket: string = DEFAULT_CONTAINERD_SOCKET,
    private readonly timeoutMs = 10_000,
  ) {
    this.endpoint = socket.startsWith("unix:") ? socket : `unix://${socket}`;
    const Ctor = runtimeServiceCtor();
    this.client = new Ctor(this.endpoint, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
  }

  call<T>(method: string, req: object): Promise<T> {
    const fn = (this.client as unknown as Record<string, Unary>)[method];
    if (!fn) return Promise.reject(new Error(`CRI: no method ${method}`));
    return new Promise((resolve, reject) => {
      fn.call(
        this.client,
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + this.timeoutMs },
        (err, res) => {
          if (err) reject(new Error(`CRI ${method} on ${this.endpoint}: ${err.details || err.message}`));
          else resolve(res as T);
        },
      );
    });
  }

  version(): Promise<{ runtime_name: string; runtime_version: string; runtime_api_version: string }> {
    return this.call("Version", { version: "v1" });
  }

  async listPodSandboxes(): Promise<CriPodSandbox[]> {
    return (await this.call<{ items: CriPodSandbox[] }>("ListPodSandbox", {})).items;
  }

  async listContainers(): Promise<CriContainer[]> {
    return (await this.call<{ containers: CriContainer[] }>("ListContainers", {})).containers;
  }

  containerStatus(id: string, verbose = true): Promise<CriContainerStatus> {
    return this.call("ContainerStatus", { container_id: id, verbose });
  }

  close(): void {
    this.client.close();
  }
}

/** The init pid from a verbose ContainerStatus (containerd: info.info = JSON with "pid"). */
export function pidFromStatus(st: CriContainerStatus): number | undefined {
  for (const v of Object.values(st.info ?? {})) {
    try {
      const doc = JSON.parse(v) as { pid?: unknown };
      if (typeof doc.pid === "number" && doc.pid > 0) return doc.pid;
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}
