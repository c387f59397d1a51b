/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Event emission shared by the monitor and the enforcer: the ring buffer, per-CPU scratch,
 * counters, settings and per-workload alert throttling. Every object that includes this
 * header declares the same maps; they are pinned by name, so the objects loaded by one
 * daemon (and by the next daemon after a restart) share one ring and one set of counters.
 */
#ifndef RAMPART_EMIT_H
#define RAMPART_EMIT_H

#include "common.h"

#ifndef RP_RINGBUF_BYTES
#define RP_RINGBUF_BYTES (8u << 20) /* default; user space resizes before load */
#endif

/* Records to user space (kernel-written). No __type(value): libbpf rejects it for ringbufs. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RP_RINGBUF_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rp_events SEC(".maps");

/* enum rp_stat → counter (kernel-written, summed over CPUs by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rp_stats SEC(".maps");

/* 0 → struct rp_settings (user-written). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_settings);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rp_settings_map SEC(".maps");

/* cgroup id → struct rp_throttle: alert throttling per workload (kernel-written). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct rp_throttle);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rp_throttle_map SEC(".maps");

/* The record being built plus room for two resolved paths. One per CPU; BPF programs of one
 * CPU do not nest within the same hook family, and a nested use would only garble an event,
 * never a decision (decisions read the path from rp_path_scratch). */
struct rp_scratch {
	struct rp_event ev;
	char data[2 * RP_PATH_MAX];
};

/* 0 → struct rp_scratch (per-CPU working memory, never read by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_scratch);
} rp_scratch_map SEC(".maps");

/* BTF anchor: the header is only ever used through a scratch pointer, which clang 14 does
 * not emit into BTF; this instance makes libbpf-cargo generate the Rust mirror. */
const struct rp_event rp_event_btf_anchor = {};
const struct rp_settings rp_settings_btf_anchor = {};
const struct rp_throttle rp_throttle_btf_anchor = {};
const struct rp_scope rp_scope_btf_anchor = {};

RP_ALWAYS_INLINE void rp_count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&rp_stats, &stat);

	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

RP_ALWAYS_INLINE struct rp_settings *rp_settings(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&rp_settings_map, &zero);
}

RP_ALWAYS_INLINE struct rp_scratch *rp_scratch(void)
{
	__u32 zero = 0;
	struct rp_scratch *s = bpf_map_lookup_elem(&rp_scratch_map, &zero);

	if (!s)
		rp_count(RP_STAT_SCRATCH_MISS);
	return s;
}

/* Fill the task-derived fields of the header from the current task. */
RP_ALWAYS_INLINE void rp_fill_task(struct rp_event *ev)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pid *tp, *pp;
	unsigned int level, plevel;
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();

	ev->ts_ns = bpf_ktime_get_boot_ns();
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->host_pid = (__u32)id;
	ev->host_tgid = id >> 32;
	ev->host_ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->uid = (__u32)ug;
	ev->gid = ug >> 32;
	ev->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);

	/* Namespace-local ids: numbers[level] of the group leader's and parent's struct pid. */
	tp = BPF_CORE_READ(task, group_leader, thread_pid);
	level = BPF_CORE_READ(tp, level);
	ev->pid = BPF_CORE_READ(tp, numbers[level & 31].nr);
	ev->pid_ns = BPF_CORE_READ(tp, numbers[level & 31].ns, ns.inum);
	pp = BPF_CORE_READ(task, real_parent, group_leader, thread_pid);
	plevel = BPF_CORE_READ(pp, level);
	if (plevel >= level &&
	    BPF_CORE_READ(pp, numbers[level & 31].ns) == BPF_CORE_READ(tp, numbers[level & 31].ns))
		ev->ppid = BPF_CORE_READ(pp, numbers[level & 31].nr);
	else
		ev->ppid = 0;
	if (BPF_CORE_READ(task, signal, tty))
		ev->flags |= RP_EVF_TTY;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/* Start a record in the scratch buffer: zero the header, fill the task part. */
RP_ALWAYS_INLINE struct rp_event *rp_event_begin(struct rp_scratch *s, __u8 kind, __u8 op,
						  __u8 hook)
{
	struct rp_event *ev = &s->ev;

	__builtin_memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->op = op;
	ev->hook = hook;
	rp_fill_task(ev);
	return ev;
}

/*
 * Per-workload alert throttling (KubeArmor's maxAlertPerSec / throttleSec): in each 1 s
 * window up to max records pass; the first one over the limit is replaced by a single
 * RP_OP_ALERT_THRESHOLD record and the workload's records are then dropped (and counted) for
 * throttle_sec. Enforcement is never affected, only reporting. Returns 1 if the record may
 * be emitted, 0 to drop it, 2 to emit a threshold notice instead.
 */
RP_ALWAYS_INLINE int rp_throttle_check(__u64 cgid, __u64 now)
{
	struct rp_settings *st = rp_settings();
	struct rp_throttle *t, fresh = {};

	if (!st || st->max_alerts_per_sec == 0)
		return 1;
	t = bpf_map_lookup_elem(&rp_throttle_map, &cgid);
	if (!t) {
		fresh.window_start_ns = now;
		fresh.count = 1;
		bpf_map_update_elem(&rp_throttle_map, &cgid, &fresh, BPF_NOEXIST);
		return 1;
	}
	if (t->dropping_until_ns) {
		if (now < t->dropping_until_ns) {
			__sync_fetch_and_add(&t->dropped, 1);
			return 0;
		}
		t->dropping_until_ns = 0;
		t->window_start_ns = now;
		t->count = 0;
	}
	if (now - t->window_start_ns >= 1000000000ull) {
		t->window_start_ns = now;
		t->count = 0;
	}
	if (__sync_fetch_and_add(&t->count, 1) < st->max_alerts_per_sec)
		return 1;
	t->dropping_until_ns = now + (__u64)(st->throttle_sec ? st->throttle_sec : 1) * 1000000000ull;
	return 2;
}

/* Wake the consumer only once this much is waiting; it also polls every few milliseconds.
 * A wake-up per record costs more than the record (several µs per event under load) and
 * makes batches tiny. */
#define RP_WAKEUP_BYTES (256u << 10)

/* Send header + path_len + source_len bytes of data. */
RP_ALWAYS_INLINE void rp_event_submit(struct rp_scratch *s)
{
	__u64 len = (__u64)s->ev.path_len + s->ev.source_len;
	__u64 flags = bpf_ringbuf_query(&rp_events, BPF_RB_AVAIL_DATA) >= RP_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
											 : BPF_RB_NO_WAKEUP;

	if (s->ev.flags & RP_EVF_PATH_TRUNCATED)
		rp_count(RP_STAT_PATH_TRUNCATED);
	/* The mask keeps the verifier's bound inside the scratch value; lengths are < RP_PATH_MAX
	 * each, so it never cuts a real record. */
	if (bpf_ringbuf_output(&rp_events, &s->ev, sizeof(s->ev) + (len & (2 * RP_PATH_MAX - 1)), flags))
		rp_count(RP_STAT_RINGBUF_FULL);
	else
		rp_count(RP_STAT_EVENTS);
}

/* Submit a record subject to throttling (enforcer alerts). */
RP_ALWAYS_INLINE void rp_event_submit_throttled(struct rp_scratch *s)
{
	struct rp_settings *st;
	int t = rp_throttle_check(s->ev.cgroup_id, s->ev.ts_ns);

	if (t == 1) {
		rp_event_submit(s);
		return;
	}
	rp_count(RP_STAT_THROTTLED);
	if (t == 2) {
		st = rp_settings();
		s->ev.kind = RP_KIND_SYSTEM;
		s->ev.op = RP_OP_ALERT_THRESHOLD;
		s->ev.arg0 = st ? st->max_alerts_per_sec : 0;
		s->ev.arg1 = st ? st->throttle_sec : 0;
		s->ev.path_len = 0;
		s->ev.source_len = 0;
		rp_event_submit(s);
	}
}

#endif /* RAMPART_EMIT_H */
