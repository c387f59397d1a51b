// SPDX-License-Identifier: Apache-2.0
import { test } from "node:test";
import assert from "node:assert/strict";
import { countEvents, decodeEvents, EVENT_HEADER_SIZE, EventFlag, Op, opName } from "./events.js";
import { EVENT_FIELDS as F } from "./event-layout.js";

function record(path: string, source: string, fill: (b: Buffer) => void): Buffer {
  const p = Buffer.from(path);
  const s = Buffer.from(source);
  const b = Buffer.alloc(EVENT_HEADER_SIZE + p.length + s.length);
  b.writeUInt16LE(p.length, F.pathLen.offset);
  b.writeUInt16LE(s.length, F.sourceLen.offset);
  p.copy(b, EVENT_HEADER_SIZE);
  s.copy(b, EVENT_HEADER_SIZE + p.length);
  fill(b);
  return b;
}

test("decodes consecutive variable-length records", () => {
  const a = record("/etc/shadow", "/usr/bin/cat", b => {
    b.writeBigUInt64LE(0xffff_ffff_ffff_fff1n, F.cgroupId.offset);
    b.writeUInt32LE(4242, F.hostPid.offset);
    b.writeInt32LE(-1, F.retval.offset);
    b[F.op.offset] = Op.OPEN;
    b.writeUInt32LE(EventFlag.PATH_TRUNCATED | EventFlag.TTY, F.flags.offset);
    b.write("cat", F.comm.offset);
  });
  const c = record("", "", b => {
    b[F.op.offset] = Op.EXIT;
  });
  const evs = decodeEvents(Buffer.concat([a, c]));
  assert.equal(evs.length, 2);
  assert.equal(evs[0].path, "/etc/shadow");
  assert.equal(evs[0].source, "/usr/bin/cat");
  assert.equal(evs[0].cgroupId, 0xffff_ffff_ffff_fff1n);
  assert.equal(evs[0].hostPid, 4242);
  assert.equal(evs[0].retval, -1);
  assert.equal(evs[0].comm, "cat");
  assert.equal(evs[0].pathTruncated, true);
  assert.equal(evs[0].tty, true);
  assert.equal(opName(evs[1].op), "EXIT");
  assert.equal(countEvents(Buffer.concat([a, c, a])), 3);
});

test("a truncated batch throws instead of reading garbage", () => {
  const a = record("/x", "", () => {});
  assert.throws(() => decodeEvents(a.subarray(0, a.length - 1)), /exceed the batch/);
  assert.throws(() => decodeEvents(a.subarray(0, 10)), /header exceeds/);
});
