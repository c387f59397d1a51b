// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { test } from "node:test";
import { addMutationWarning, attachWarnings, takeMutationWarnings } from "./mutation-warnings.js";

test("warnings are attached to the response with the same uid, once", () => {
  addMutationWarning("u1", "first");
  addMutationWarning("u1", "second");
  addMutationWarning("u2", "other");
  const res: { uid: string; warnings?: string[] } = { uid: "u1", warnings: ["pepr"] };
  attachWarnings(res);
  assert.deepEqual(res.warnings, ["pepr", "first", "second"]);
  const again: { uid: string; warnings?: string[] } = { uid: "u1" };
  attachWarnings(again);
  assert.equal(again.warnings, undefined);
  assert.deepEqual(takeMutationWarnings("u2"), ["other"]);
});

test("pending warnings are bounded", () => {
  for (let i = 0; i < 5000; i++) addMutationWarning(`x${i}`, "w");
  assert.deepEqual(takeMutationWarnings("x0"), []);
  assert.deepEqual(takeMutationWarnings("x4999"), ["w"]);
});
