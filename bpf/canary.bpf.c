// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Capability probe canaries (native/src/probe.rs). Each program is loaded on its own, and
 * attached and triggered where that is possible, so probe() reports what this kernel
 * actually does rather than what its config claims: the team's host kernel has
 * CONFIG_BPF_LSM=y and "bpf" in its LSM list, yet refuses every LSM program with EPERM.
 */
#include "include/common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Only the probing process counts (set before load). */
const volatile __u32 canary_tgid = 0;

/* index = which canary fired → hit count (kernel-written). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} canary_hits SEC(".maps");

/* One record per tracepoint hit: proves the ring buffer end to end. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} canary_ring SEC(".maps");

static __always_inline int mine(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == canary_tgid;
}

static __always_inline void hit(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&canary_hits, &i);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tp/syscalls/sys_enter_getppid")
int canary_tp(void *ctx)
{
	__u64 *rec;

	if (!mine())
		return 0;
	hit(0);
	rec = bpf_ringbuf_reserve(&canary_ring, sizeof(*rec), 0);
	if (rec) {
		*rec = 0x52414d50; /* "RAMP" */
		bpf_ringbuf_submit(rec, 0);
	}
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(canary_lsm, struct file *file, int ret)
{
	if (mine())
		hit(1);
	return ret;
}

SEC("cgroup_skb/egress")
int canary_skb(struct __sk_buff *skb)
{
	return 1; /* allow */
}

/* Driven by BPF_PROG_TEST_RUN: proves the decision-logic test harness can run here. */
SEC("raw_tp")
int canary_test_run(void *ctx)
{
	hit(2);
	return 42;
}
