// SPDX-License-Identifier: Apache-2.0
//
// Bench helper process: one WatchAlerts subscriber that counts what it receives and reports
// `done <normal> <dropped>` on stdout once normal + dropped reaches the target.
// Usage: node --import tsx bench/feeder-client.ts ADDRESS TARGET [decode]
//   decode: fully decode every alert into an object (what karmor does); default: count frames.

import * as grpc from "@grpc/grpc-js";
import { protoRoot } from "../enforcer/feeder/wire.js";

const [address, targetText, mode] = process.argv.slice(2);
const target = Number(targetText);
const root = protoRoot();
const Request = root.lookupType("feeder.RequestMessage");
const AlertType = root.lookupType("feeder.Alert");
const decode = mode === "decode";

const Client = grpc.makeGenericClientConstructor(
  {
    WatchAlerts: {
      path: "/feeder.LogService/WatchAlerts",
      requestStream: false,
      responseStream: true,
      requestSerialize: (v: object) => Buffer.from(Request.encode(v).finish()),
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (v: Buffer) => v,
      // Markers must be recognised either way, so small frames are always decoded. (Never return
      // null here: a null pushed into the stream would end it.)
      responseDeserialize: (b: Buffer) =>
        decode || b.length < 512 ? AlertType.toObject(AlertType.decode(b)) : b.length,
    },
  },
  "LogService",
);
const client = new Client(address!, grpc.credentials.createInsecure(), {
  "grpc.max_receive_message_length": 16 << 20,
  "grpc-node.flow_control_window": 4 << 20,
});
let normal = 0;
let dropped = 0;
const stream = (
  client as unknown as {
    WatchAlerts: (r: object) => grpc.ClientReadableStream<Record<string, unknown> | number>;
  }
).WatchAlerts({ Filter: "policy" });
stream.on("data", (a: Record<string, unknown> | number) => {
  if (typeof a === "object" && a.Operation === "QueueOverflow")
    dropped += Number((a.EventData as Record<string, string>).Dropped);
  else normal++;
  if (normal + dropped >= target) {
    process.stdout.write(`done ${normal} ${dropped}\n`);
    stream.cancel();
    client.close();
    setTimeout(() => process.exit(0), 50);
  }
});
stream.on("error", (err: grpc.ServiceError) => {
  if (err.code !== grpc.status.CANCELLED) {
    process.stderr.write(`bench client: ${err.message}\n`);
    process.exit(1);
  }
});
