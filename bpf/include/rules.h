/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Rampart rule maps: the binary contract between the BPF compiler
 * (enforcer/compilers/bpf/, which writes these entries) and the BPF-LSM
 * enforcer programs (which read them). The TypeScript mirror lives in
 * enforcer/compilers/bpf/layout.ts and is checked against this file by
 * enforcer/compilers/bpf/layout.test.ts (cc prints sizeof/offsetof).
 * The lookup algorithm the programs must run is written down in
 * docs/compilers.md ("BPF lookup algorithm"); enforcer/compilers/bpf/lookup.ts
 * is its executable model and the equivalence test proves it equal to the
 * oracle.
 *
 * Design in one paragraph: a workload (container = cgroup id, host = a
 * reserved key) maps to its current generation and its postures. Every rule
 * key starts with {workload, generation}, so user space writes generation N+1
 * completely, flips the workload entry, then deletes generation N: the kernel
 * never sees a half-applied rule set. Strings are never stored: keys hold
 * FNV-1a 64 hashes of the exact path, of each '/'-terminated directory
 * prefix, of the exec basename, and of the source binary (0 = any source).
 * A value is a small decision table indexed by the event's condition bits
 * (write, owner, tty, far), precomputed by the compiler, so the kernel never
 * interprets readOnly/ownerOnly/pts itself. Globs are bit-parallel NFAs
 * (<= 63 positions) anchored at a literal directory prefix.
 *
 * Include after vmlinux.h (BPF programs) or standalone (user-space tests).
 */
#ifndef __RAMPART_RULES_H
#define __RAMPART_RULES_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* ---- limits ------------------------------------------------------------ */

/* Longest path the enforcer resolves (PATH_MAX). Longer ⇒ fail closed. */
#define RAMPART_MAX_PATH 4096
/* Most '/'-terminated prefixes a 4096-byte path can have. */
#define RAMPART_MAX_DEPTH 2048
/* Positions in one glob NFA (bit 0 = start, so 63 pattern elements). */
#define RAMPART_GLOB_MAX_POS 63
/* Globs sharing one {anchor directory, source} (evaluated in index order). */
#define RAMPART_GLOB_MAX_PER_ANCHOR 16
/* Globs per workload generation. */
#define RAMPART_GLOB_MAX_PER_WORKLOAD 256
/* Rule ids are 1-based indexes into the user-space rule table; 0 = none. */
#define RAMPART_RULE_ID_NONE 0

/* ---- hashing ----------------------------------------------------------- */

/*
 * FNV-1a 64 over the raw bytes of the string, no terminator. Identical in
 * TS (enforcer/compilers/bpf/hash.ts) and Rust. The running state is
 * rampart_fnv_step()'ed byte by byte while the path is walked; a value used
 * as a key goes through rampart_hash_key() so that 0 can mean "any source".
 *
 * Test vectors (rampart_hash_key(fnv over bytes)):
 *   ""            -> 0xcbf29ce484222325
 *   "/"           -> 0xaf63a24c860189fe
 *   "/bin/sleep"  -> 0xb529c95c532c652f
 */
#define RAMPART_FNV_OFFSET 0xcbf29ce484222325ULL
#define RAMPART_FNV_PRIME 0x100000001b3ULL

static inline __u64 rampart_fnv_step(__u64 h, __u8 c)
{
	h ^= (__u64)c;
	h *= RAMPART_FNV_PRIME;
	return h;
}

static inline __u64 rampart_hash_key(__u64 h)
{
	return h ? h : 1; /* 0 is reserved for "any source" */
}

/* ---- workloads ---------------------------------------------------------- */

/* Workload key of the host (containers use their cgroup v2 id, never 0). */
#define RAMPART_HOST_WORKLOAD 0ULL

/* rampart_workload.flags */
#define RAMPART_WL_AUDITED (1U << 0)        /* state audited: Block is reported as Audit ("Audit (Block)") */
#define RAMPART_WL_ALLOWLIST_FILE (1U << 1) /* process+file are an allow-list: no match ⇒ file posture */
#define RAMPART_WL_ALLOWLIST_NET (1U << 2)
#define RAMPART_WL_ALLOWLIST_CAP (1U << 3)
#define RAMPART_WL_POSTURE_FILE_BLOCK (1U << 4) /* else audit */
#define RAMPART_WL_POSTURE_NET_BLOCK (1U << 5)
#define RAMPART_WL_POSTURE_CAP_BLOCK (1U << 6)
#define RAMPART_WL_HAS_PROC (1U << 7)   /* any process entry (else skip exec lookups) */
#define RAMPART_WL_HAS_FILE (1U << 8)   /* any file entry */
#define RAMPART_WL_HAS_NET (1U << 9)
#define RAMPART_WL_HAS_CAP (1U << 10)
#define RAMPART_WL_HAS_SOURCE (1U << 11) /* any entry with source != 0 (else skip the source pass) */

/*
 * Map rampart_workloads: key = __u64 workload (cgroup id, or
 * RAMPART_HOST_WORKLOAD) → struct rampart_workload. The compiler emits this
 * value with generation = 0; user space sets the generation it wrote.
 */
struct rampart_workload {
	__u32 generation; /* rule keys of this generation are live */
	__u32 flags;      /* RAMPART_WL_* */
	/*
	 * Bit d (1..62) set ⇔ some directory or glob-anchor entry has a prefix
	 * of depth d (depth = number of '/' in the prefix: "/" = 1, "/a/" = 2).
	 * Bit 63 = "some entry at depth >= 63" (check every such depth).
	 * Process and file entries have separate bitmaps.
	 */
	__u64 proc_depths;
	__u64 file_depths;
	__u32 rule_count; /* entries in rampart_rules for this generation */
	__u32 glob_count; /* entries in rampart_globs for this generation */
};

/* ---- rules ---------------------------------------------------------------- */

/* rampart_rule_key.kind */
enum rampart_kind {
	RAMPART_K_PROC_EXACT = 1,    /* hash = exact exec path */
	RAMPART_K_PROC_EXECNAME = 2, /* hash = basename of the exec path */
	RAMPART_K_PROC_DIR = 3,      /* hash = '/'-terminated directory prefix */
	RAMPART_K_FILE_EXACT = 4,
	RAMPART_K_FILE_DIR = 5,
	RAMPART_K_NET_TYPE = 6,  /* hash = SOCK_* number (1 stream, 2 dgram, 3 raw, 4 rdm, 5 seqpacket, 6 dccp, 10 packet) */
	RAMPART_K_NET_PROTO = 7, /* hash = IPPROTO_* number (1 icmp, 6 tcp, 17 udp, 58 icmpv6, 132 sctp) */
	RAMPART_K_NET_ALL = 8,   /* hash = 0: protocol "all" */
	RAMPART_K_CAP = 9,       /* hash = CAP_* number */
	RAMPART_K_PROC_GLOB_ANCHOR = 10, /* rampart_glob_anchors only: hash = anchor dir */
	RAMPART_K_FILE_GLOB_ANCHOR = 11,
};

/* Key of rampart_rules and rampart_glob_anchors. 32 bytes, no holes. */
struct rampart_rule_key {
	__u64 workload;   /* cgroup id / RAMPART_HOST_WORKLOAD (compiler emits 0) */
	__u32 generation; /* compiler emits 0; user space fills in */
	__u8 kind;        /* enum rampart_kind */
	__u8 pad[3];      /* must be 0 */
	__u64 hash;       /* rampart_hash_key(FNV) of the string, or the number */
	__u64 source;     /* rampart_hash_key(FNV) of the source binary path; 0 = any source */
};

/* Verdicts in a decision slot. Ordered: a larger verdict wins a merge. */
enum rampart_verdict {
	RAMPART_V_NONE = 0, /* this entry does not apply under these conditions: keep looking */
	RAMPART_V_ALLOW = 1,
	RAMPART_V_AUDIT = 2,
	RAMPART_V_BLOCK = 3,
};

/*
 * Decision slot index: the event's condition bits.
 *   bit 0 WRITE  the access writes (file_permission MAY_WRITE|MAY_APPEND, open for write,
 *                path_* modifications); always 0 for exec, network, capability
 *   bit 1 OWNER  current fsuid == inode uid of the target file; 0 for network/capability
 *   bit 2 TTY    current->signal->tty != NULL
 *   bit 3 FAR    directory entries only: the prefix is neither the path itself + '/' nor its
 *                parent directory (i.e. only recursive rules apply there); 0 for other kinds
 */
#define RAMPART_SLOT_WRITE (1U << 0)
#define RAMPART_SLOT_OWNER (1U << 1)
#define RAMPART_SLOT_TTY (1U << 2)
#define RAMPART_SLOT_FAR (1U << 3)
#define RAMPART_SLOTS 16

/* Value of rampart_rules. 80 bytes. */
struct rampart_rule_val {
	__u8 verdict[RAMPART_SLOTS];  /* enum rampart_verdict per slot */
	__u32 rule_id[RAMPART_SLOTS]; /* the deciding rule per slot (1-based), 0 with V_NONE */
};

/* Value of rampart_glob_anchors: globs [first, first+count) share this anchor+source. */
struct rampart_glob_anchor {
	__u32 first; /* index into rampart_globs */
	__u32 count; /* <= RAMPART_GLOB_MAX_PER_ANCHOR */
};

/* Key of rampart_globs. 16 bytes. */
struct rampart_glob_key {
	__u64 workload;
	__u32 generation;
	__u32 index;
};

/*
 * One glob, as a bit-parallel NFA over the bytes after its anchor directory.
 * Positions 1..npos are the pattern elements; bit 0 is the start state.
 *   D = 1;  D |= (D << 1) & star;
 *   for each byte c of the remainder:
 *       D = ((D << 1) & single[c]) | (D & loop[c]);
 *       D |= (D << 1) & star;
 *       if (!D) break;               // no match possible
 *   match ⇔ D & (1ULL << npos)
 * Consecutive stars are merged by the compiler, so one closure step suffices.
 * 4,152 bytes.
 */
struct rampart_glob {
	__u8 verdict[8];  /* slots 0..7 (no FAR bit for globs) */
	__u32 rule_id[8];
	__u64 star;       /* bit i ⇔ element i is a star (may match zero bytes) */
	__u32 npos;       /* number of elements, 1..63 */
	__u32 anchor_len; /* bytes of the anchor directory (remainder starts here) */
	__u64 single[256]; /* bit i ⇔ element i is a one-byte element accepting byte c */
	__u64 loop[256];   /* bit i ⇔ element i is a star accepting byte c */
};

/* ---- maps ------------------------------------------------------------------ */
#if defined(__bpf__) && !defined(RAMPART_RULES_NO_MAPS)
#include <bpf/bpf_helpers.h>

/* Defaults; user space may resize before load (bpf_map__set_max_entries). */
#ifndef RAMPART_MAX_WORKLOADS
#define RAMPART_MAX_WORKLOADS 16384
#endif
#ifndef RAMPART_MAX_RULE_ENTRIES
#define RAMPART_MAX_RULE_ENTRIES 262144
#endif
#ifndef RAMPART_MAX_GLOB_ENTRIES
#define RAMPART_MAX_GLOB_ENTRIES 8192
#endif

/* __u64 workload → struct rampart_workload. Absent ⇒ not enforced. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RAMPART_MAX_WORKLOADS);
	__type(key, __u64);
	__type(value, struct rampart_workload);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rampart_workloads SEC(".maps");

/* struct rampart_rule_key → struct rampart_rule_val (process, file, network, capability). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RAMPART_MAX_RULE_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rampart_rule_key);
	__type(value, struct rampart_rule_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rampart_rules SEC(".maps");

/* struct rampart_rule_key (kind *_GLOB_ANCHOR) → struct rampart_glob_anchor. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RAMPART_MAX_GLOB_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rampart_rule_key);
	__type(value, struct rampart_glob_anchor);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rampart_glob_anchors SEC(".maps");

/* struct rampart_glob_key → struct rampart_glob. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RAMPART_MAX_GLOB_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rampart_glob_key);
	__type(value, struct rampart_glob);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rampart_globs SEC(".maps");
#endif /* __bpf__ */

#endif /* __RAMPART_RULES_H */
