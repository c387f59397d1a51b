// SPDX-License-Identifier: Apache-2.0
//
// Parser for /proc/<pid>/mountinfo (proc(5)): "id parent major:minor root mountpoint options
// [optional fields...] - fstype source superoptions". Pure; used to find bpffs and cgroup2 mounts.

export interface MountInfoEntry {
  mountPoint: string;
  fsType: string;
  source: string;
  /** per-mount options followed by the superblock options */
  options: string;
}

/** Undo the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Entries of a mountinfo text; malformed lines are skipped (the file is the kernel's own). */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const sep = fields.indexOf("-", 6);
    if (fields.length < 10 || sep < 0 || sep + 3 > fields.length) continue;
    out.push({
      mountPoint: unescape(fields[4] ?? ""),
      fsType: fields[sep + 1] ?? "",
      source: unescape(fields[sep + 2] ?? ""),
      options: [fields[5], fields[sep + 3]].filter(Boolean).join(","),
    });
  }
  return out;
}
