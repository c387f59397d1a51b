// SPDX-License-Identifier: Apache-2.0

import assert from "node:assert/strict";
import { it } from "node:test";
import { parseMountInfo } from "./mountinfo.js";

it("parses mountinfo lines with optional fields and octal escapes", () => {
  const text = [
    "36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue",
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
    "garbage line",
    "",
  ].join("\n");
  assert.deepEqual(parseMountInfo(text), [
    {
      mountPoint: "/mnt/with space",
      fsType: "ext3",
      source: "/dev/root",
      options: "rw,noatime,rw,errors=continue",
    },
    { mountPoint: "/sys/fs/cgroup/unified", fsType: "cgroup2", source: "cgroup2", options: "rw,relatime,rw" },
  ]);
});
