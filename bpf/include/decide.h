/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The in-kernel decision: the lookup algorithm of docs/compilers.md ("BPF lookup algorithm")
 * over the rule maps of bpf/include/rules.h, step for step as enforcer/compilers/bpf/lookup.ts
 * (its executable model) does it. Shared by the LSM enforcer and the BPF_PROG_TEST_RUN harness
 * (decide_test.bpf.c), which replays the compiler's generated cases against it on any kernel.
 *
 * Inputs are plain values (workload entry, path bytes in the per-CPU scratch, source hash,
 * condition slot), never kernel objects, so the harness drives exactly the code the hooks run.
 *
 * Every loop is a bpf_loop: the path hash pass (one step per byte), the prefix walk (deepest
 * first), the globs of an anchor, and each glob's NFA. Nothing is bounded by an unrolled
 * count, so there is no 64-character or 20-component hole (kubearmor-compat §21.1). Callback
 * contexts live on the caller's stack and only carry scalars and map-value pointers; the
 * combined stack of the four nested frames stays well under the verifier's 512 bytes.
 */
#ifndef RAMPART_DECIDE_H
#define RAMPART_DECIDE_H

#include "emit.h"
#include "rules.h"

/* rp_decision.posture: which default posture decided (alert "DefaultPosture"). */
#define RP_POSTURE_NONE 0
#define RP_POSTURE_FILE 1
#define RP_POSTURE_NETWORK 2
#define RP_POSTURE_CAPABILITY 3

/* Mask an index in a register right where it is used: after a spill and reload of a u32 the
 * verifier no longer knows its bound, and clang drops a plain C mask it thinks redundant. */
#define RP_SLOT(x) ({ __u64 __v = (x); asm volatile("%0 &= 15" : "+r"(__v)); __v; })

struct rp_decision {
	__u8 verdict;	  /* RAMPART_V_ALLOW / AUDIT / BLOCK (never NONE) */
	__u8 posture;	  /* RP_POSTURE_* when a default posture decided */
	__u8 would_block; /* audited workload: BLOCK reported as AUDIT */
	__u8 truncated;	  /* fail-closed on an unresolvable path */
	__u32 rule_id;	  /* 1-based rule id, 0 = none */
};

/* Prefixes kept per path, the self prefix included: enough for any resolved path shorter than
 * RP_PATH_MAX ("/a" repeated). A path with more (only possible with repeated slashes) is
 * treated as unresolvable: fail closed. A power of two, so indexes can be masked. */
#define RP_MAX_PREFIXES RAMPART_MAX_DEPTH
#define RP_PREFIX_MASK (RP_MAX_PREFIXES - 1)
_Static_assert((RP_MAX_PREFIXES & RP_PREFIX_MASK) == 0, "RP_MAX_PREFIXES must be a power of two");
#define RP_NO_REST 0xffff

/* Per-CPU prefix table of the path being decided (never read by user space). */
struct rp_prefixes {
	/* Counters of the hash pass live here, not in the callback's stack context: the verifier
	 * tracks stack scalars precisely and would explore every value of the prefix count. */
	__u32 count;	  /* prefixes recorded */
	__u32 slashes;	  /* '/' seen so far */
	__u32 last_slash; /* index after the last '/' */
	__u32 overflow;
	__u64 hash[RP_MAX_PREFIXES];
	__u16 rest[RP_MAX_PREFIXES];  /* offset after the '/', RP_NO_REST for the self prefix */
	__u16 depth[RP_MAX_PREFIXES]; /* number of '/' in the prefix */
};

/* 0 → struct rp_prefixes (per-CPU working memory). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_prefixes);
} rp_prefix_map SEC(".maps");

RP_ALWAYS_INLINE void rp_finish(const struct rampart_workload *w, __u8 v, __u32 rid, struct rp_decision *d)
{
	d->verdict = v == RAMPART_V_NONE ? RAMPART_V_ALLOW : v;
	d->rule_id = rid;
	if (v == RAMPART_V_BLOCK && (w->flags & RAMPART_WL_AUDITED)) {
		d->verdict = RAMPART_V_AUDIT;
		d->would_block = 1;
	}
}

RP_ALWAYS_INLINE void rp_posture(const struct rampart_workload *w, __u32 allow, __u32 block, __u8 cat,
				 struct rp_decision *d)
{
	if (w->flags & allow) {
		rp_finish(w, (w->flags & block) ? RAMPART_V_BLOCK : RAMPART_V_AUDIT, 0, d);
		d->posture = cat;
	} else {
		d->verdict = RAMPART_V_ALLOW;
		d->rule_id = 0;
	}
}

RP_ALWAYS_INLINE struct rampart_rule_val *rp_rule(__u64 wl, __u32 gen, __u8 kind, __u64 hash, __u64 src)
{
	struct rampart_rule_key k = {};

	k.workload = wl;
	k.generation = gen;
	k.kind = kind;
	k.hash = hash;
	k.source = src;
	return bpf_map_lookup_elem(&rampart_rules, &k);
}

/* ---- network and capability ------------------------------------------------------------ */

/* Largest verdict among the keys, ties to the smaller rule id; NONE slots are skipped. */
RP_ALWAYS_INLINE void rp_merge(struct rampart_rule_val *v, __u32 slot, __u8 *best, __u32 *id)
{
	__u8 vv;
	__u32 rid;

	if (!v)
		return;
	vv = v->verdict[RP_SLOT(slot)];
	rid = v->rule_id[RP_SLOT(slot)];
	if (vv == RAMPART_V_NONE)
		return;
	if (vv > *best || (vv == *best && rid < *id)) {
		*best = vv;
		*id = rid;
	}
}

/* ip_protocol / sock_type 0 = unknown (not looked up). */
RP_ALWAYS_INLINE void rp_decide_net(__u64 wl, const struct rampart_workload *w, __u32 ip_protocol,
				    __u32 sock_type, __u64 src, __u32 slot, struct rp_decision *d)
{
	__u32 gen = w->generation, id;
	__u8 best;
	int i;

	if (!(w->flags & (RAMPART_WL_HAS_NET | RAMPART_WL_ALLOWLIST_NET))) {
		d->verdict = RAMPART_V_ALLOW;
		return;
	}
	if (!src || !(w->flags & RAMPART_WL_HAS_SOURCE))
		src = 0;
	for (i = 0; i < 2; i++) {
		best = RAMPART_V_NONE;
		id = 0;
		if (ip_protocol)
			rp_merge(rp_rule(wl, gen, RAMPART_K_NET_PROTO, ip_protocol, src), slot, &best, &id);
		if (sock_type)
			rp_merge(rp_rule(wl, gen, RAMPART_K_NET_TYPE, sock_type, src), slot, &best, &id);
		rp_merge(rp_rule(wl, gen, RAMPART_K_NET_ALL, 0, src), slot, &best, &id);
		if (best != RAMPART_V_NONE) {
			rp_finish(w, best, id, d);
			return;
		}
		if (!src)
			break;
		src = 0;
	}
	rp_posture(w, RAMPART_WL_ALLOWLIST_NET, RAMPART_WL_POSTURE_NET_BLOCK, RP_POSTURE_NETWORK, d);
}

/* cap < 0 = unknown capability (no rule can match). */
RP_ALWAYS_INLINE void rp_decide_cap(__u64 wl, const struct rampart_workload *w, int cap, __u64 src,
				    __u32 slot, struct rp_decision *d)
{
	__u32 gen = w->generation, id;
	__u8 best;
	int i;

	if (!(w->flags & (RAMPART_WL_HAS_CAP | RAMPART_WL_ALLOWLIST_CAP))) {
		d->verdict = RAMPART_V_ALLOW;
		return;
	}
	if (!src || !(w->flags & RAMPART_WL_HAS_SOURCE))
		src = 0;
	for (i = 0; i < 2; i++) {
		best = RAMPART_V_NONE;
		id = 0;
		if (cap >= 0)
			rp_merge(rp_rule(wl, gen, RAMPART_K_CAP, (__u64)cap, src), slot, &best, &id);
		if (best != RAMPART_V_NONE) {
			rp_finish(w, best, id, d);
			return;
		}
		if (!src)
			break;
		src = 0;
	}
	rp_posture(w, RAMPART_WL_ALLOWLIST_CAP, RAMPART_WL_POSTURE_CAP_BLOCK, RP_POSTURE_CAPABILITY, d);
}

/* ---- paths -------------------------------------------------------------------------------- */

struct rp_path_ctx {
	struct rp_scratch *s;	 /* path bytes: s->data[0..len) */
	struct rp_prefixes *px;
	struct rampart_glob *g;	 /* glob under evaluation (NFA pass) */
	__u64 wl;
	__u64 src;
	__u64 depths;
	__u64 h;		 /* running FNV state (hash pass) */
	__u64 nfa;		 /* NFA state set (NFA pass) */
	__u32 gen;
	__u32 len;
	__u32 nprefix;
	__u32 slot;
	__u32 rest;		 /* remainder offset (glob pass) */
	__u32 anchor_first;
	__u32 best_id;		 /* glob pass candidate */
	__u32 rule_id;		 /* decided rule */
	__u8 best_v;
	__u8 verdict;		 /* decided verdict, NONE = keep looking */
	__u8 kdir;
	__u8 kanchor;
	__u8 _pad[4];
};

/* Bytes hashed per bpf_loop iteration: the callback's fixed cost dominates a per-byte loop. */
#define RP_HASH_CHUNK 16

static long rp_hash_step(__u64 chunk, void *data)
{
	struct rp_path_ctx *c = data;
	struct rp_prefixes *px = c->px;
	__u32 base = (__u32)chunk * RP_HASH_CHUNK, n, i;
	__u64 h = c->h;
	__u8 ch;

#pragma unroll
	for (int k = 0; k < RP_HASH_CHUNK; k++) {
		i = base + k;
		if (i >= c->len)
			break;
		ch = c->s->data[i & (RP_PATH_MAX - 1)];
		h = rampart_fnv_step(h, ch);
		if (ch != '/')
			continue;
		px->slashes++;
		px->last_slash = i + 1;
		n = px->count;
		if (n >= RP_MAX_PREFIXES) {
			px->overflow = 1;
			c->h = h;
			return 1;
		}
		px->hash[n & RP_PREFIX_MASK] = rampart_hash_key(h);
		px->rest[n & RP_PREFIX_MASK] = i + 1;
		px->depth[n & RP_PREFIX_MASK] = px->slashes;
		px->count = n + 1;
	}
	c->h = h;
	return 0;
}

static long rp_nfa_step(__u64 i, void *data)
{
	struct rp_path_ctx *c = data;
	struct rampart_glob *g = c->g;
	__u8 ch = c->s->data[(c->rest + i) & (RP_PATH_MAX - 1)];
	__u64 d = c->nfa;

	d = ((d << 1) & g->single[ch]) | (d & g->loop[ch]);
	d |= (d << 1) & g->star;
	c->nfa = d;
	return d ? 0 : 1;
}

static long rp_glob_step(__u64 j, void *data)
{
	struct rp_path_ctx *c = data;
	struct rampart_glob_key k = {};
	struct rampart_glob *g;
	__u64 slot = RP_SLOT(c->slot) & 7;
	__u32 rid;
	__u8 v;

	k.workload = c->wl;
	k.generation = c->gen;
	k.index = c->anchor_first + (__u32)j;
	g = bpf_map_lookup_elem(&rampart_globs, &k);
	if (!g)
		return 0;
	v = g->verdict[slot];
	rid = g->rule_id[slot];
	if (v == RAMPART_V_NONE)
		return 0;
	if (c->best_v != RAMPART_V_NONE && (v < c->best_v || (v == c->best_v && rid >= c->best_id)))
		return 0;
	c->g = g;
	c->nfa = 1;
	c->nfa |= (c->nfa << 1) & g->star;
	if (c->len > c->rest)
		bpf_loop(c->len - c->rest, rp_nfa_step, c, 0);
	if (c->nfa & (1ull << (g->npos & 63))) {
		c->best_v = v;
		c->best_id = rid;
	}
	return 0;
}

static long rp_prefix_step(__u64 k, void *data)
{
	struct rp_path_ctx *c = data;
	struct rp_prefixes *px = c->px;
	struct rampart_glob_anchor *a;
	struct rampart_rule_key key = {};
	struct rampart_rule_val *v;
	__u32 idx = (c->nprefix - 1 - (__u32)k) & RP_PREFIX_MASK, depth, s;
	__u64 hash;
	__u16 rest;

	depth = px->depth[idx];
	hash = px->hash[idx];
	rest = px->rest[idx];
	if (!(c->depths & (1ull << (depth < 63 ? depth : 63))))
		return 0;
	key.workload = c->wl;
	key.generation = c->gen;
	key.source = c->src;
	key.hash = hash;
	if (k >= 1 && rest != RP_NO_REST) {
		key.kind = c->kanchor;
		a = bpf_map_lookup_elem(&rampart_glob_anchors, &key);
		if (a) {
			c->best_v = RAMPART_V_NONE;
			c->best_id = 0;
			c->rest = rest;
			c->anchor_first = a->first;
			bpf_loop(a->count < RAMPART_GLOB_MAX_PER_ANCHOR ? a->count : RAMPART_GLOB_MAX_PER_ANCHOR,
				 rp_glob_step, c, 0);
			if (c->best_v != RAMPART_V_NONE) {
				c->verdict = c->best_v;
				c->rule_id = c->best_id;
				return 1;
			}
		}
	}
	key.kind = c->kdir;
	v = bpf_map_lookup_elem(&rampart_rules, &key);
	s = c->slot | (k >= 2 ? RAMPART_SLOT_FAR : 0);
	if (v && v->verdict[RP_SLOT(s)] != RAMPART_V_NONE) {
		c->verdict = v->verdict[RP_SLOT(s)];
		c->rule_id = v->rule_id[RP_SLOT(s)];
		return 1;
	}
	return 0;
}

/*
 * Decide a process (exec) or file access on the path in s->data[0..len).
 *   proc:      1 = exec (PROC_* kinds, execname), 0 = file
 *   truncated: the path could not be resolved completely
 *   src:       rampart_hash_key(FNV(source binary path)), 0 = unknown
 *   slot:      RAMPART_SLOT_WRITE | OWNER | TTY bits of the access
 */
RP_ALWAYS_INLINE void rp_decide_path(__u64 wl, const struct rampart_workload *w, struct rp_scratch *s,
				     __u32 len, __u32 truncated, int proc, __u64 src, __u32 slot,
				     struct rp_decision *d)
{
	__u32 has = proc ? RAMPART_WL_HAS_PROC : RAMPART_WL_HAS_FILE, zero = 0, i, n;
	struct rp_path_ctx c = {};
	struct rampart_rule_val *v;
	__u64 h_exact, h_base = 0;

	/* Step 1: fail closed on what could not be resolved. */
	if (truncated || len == 0 || len >= RP_PATH_MAX) {
		if (w->flags & (has | RAMPART_WL_ALLOWLIST_FILE)) {
			rp_finish(w, RAMPART_V_BLOCK, 0, d);
			d->truncated = 1;
		} else {
			d->verdict = RAMPART_V_ALLOW;
		}
		return;
	}
	/* Step 2. */
	if (!(w->flags & (has | RAMPART_WL_ALLOWLIST_FILE))) {
		d->verdict = RAMPART_V_ALLOW;
		return;
	}
	c.px = bpf_map_lookup_elem(&rp_prefix_map, &zero);
	if (!c.px) {
		rp_finish(w, RAMPART_V_BLOCK, 0, d);
		d->truncated = 1;
		return;
	}
	/* Step 3: one pass: exact hash and every '/'-terminated prefix. */
	c.s = s;
	c.len = len;
	c.h = RAMPART_FNV_OFFSET;
	c.px->count = 0;
	c.px->slashes = 0;
	c.px->last_slash = 0;
	c.px->overflow = 0;
	bpf_loop((len + RP_HASH_CHUNK - 1) / RP_HASH_CHUNK, rp_hash_step, &c, 0);
	if (c.px->overflow) {
		rp_finish(w, RAMPART_V_BLOCK, 0, d);
		d->truncated = 1;
		return;
	}
	h_exact = rampart_hash_key(c.h);
	n = c.px->count;
	if (s->data[(len - 1) & (RP_PATH_MAX - 1)] != '/') {
		if (n >= RP_MAX_PREFIXES) {
			rp_finish(w, RAMPART_V_BLOCK, 0, d);
			d->truncated = 1;
			return;
		}
		c.px->hash[n & RP_PREFIX_MASK] = rampart_hash_key(rampart_fnv_step(c.h, '/'));
		c.px->rest[n & RP_PREFIX_MASK] = RP_NO_REST;
		c.px->depth[n & RP_PREFIX_MASK] = c.px->slashes + 1;
		n++;
	}
	c.nprefix = n;
	if (proc) {
		/* Basename hash: bytes after the last '/' (at most NAME_MAX in a resolved path). */
		h_base = RAMPART_FNV_OFFSET;
		for (i = 0; i < 256; i++) {
			__u32 at = c.px->last_slash + i;

			if (at >= len)
				break;
			h_base = rampart_fnv_step(h_base, s->data[at & (RP_PATH_MAX - 1)]);
		}
		h_base = rampart_hash_key(h_base);
	}
	c.wl = wl;
	c.gen = w->generation;
	c.slot = slot & 7;
	c.depths = proc ? w->proc_depths : w->file_depths;
	c.kdir = proc ? RAMPART_K_PROC_DIR : RAMPART_K_FILE_DIR;
	c.kanchor = proc ? RAMPART_K_PROC_GLOB_ANCHOR : RAMPART_K_FILE_GLOB_ANCHOR;
	if (!src || !(w->flags & RAMPART_WL_HAS_SOURCE))
		src = 0;

	/* Step 4, for src in [S, 0]. */
	for (i = 0; i < 2; i++) {
		c.src = src;
		v = rp_rule(wl, c.gen, proc ? RAMPART_K_PROC_EXACT : RAMPART_K_FILE_EXACT, h_exact, src);
		if (v && v->verdict[RP_SLOT(c.slot)] != RAMPART_V_NONE) {
			rp_finish(w, v->verdict[RP_SLOT(c.slot)], v->rule_id[RP_SLOT(c.slot)], d);
			return;
		}
		if (proc) {
			v = rp_rule(wl, c.gen, RAMPART_K_PROC_EXECNAME, h_base, src);
			if (v && v->verdict[RP_SLOT(c.slot)] != RAMPART_V_NONE) {
				rp_finish(w, v->verdict[RP_SLOT(c.slot)], v->rule_id[RP_SLOT(c.slot)], d);
				return;
			}
		}
		c.verdict = RAMPART_V_NONE;
		bpf_loop(c.nprefix, rp_prefix_step, &c, 0);
		if (c.verdict != RAMPART_V_NONE) {
			rp_finish(w, c.verdict, c.rule_id, d);
			return;
		}
		if (!src)
			break;
		src = 0;
	}
	/* Step 5. */
	rp_posture(w, RAMPART_WL_ALLOWLIST_FILE, RAMPART_WL_POSTURE_FILE_BLOCK, RP_POSTURE_FILE, d);
}

#endif /* RAMPART_DECIDE_H */
