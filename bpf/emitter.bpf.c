// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Benchmark event generator (bench/ring-throughput): every getppid() of the configured
 * process writes `per_call` monitor-shaped records to the shared ring, so the ring → Rust →
 * JS pipeline can be measured without the cost of real syscalls per event.
 */
#include "include/common.h"
#include "include/emit.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct rp_emit_ctl {
	__u32 tgid;	/* only this process triggers; 0 = off */
	__u32 per_call;	/* records per getppid() */
};

/* 0 → struct rp_emit_ctl (user-written). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_emit_ctl);
} rp_emit_ctl_map SEC(".maps");

const struct rp_emit_ctl rp_emit_ctl_btf_anchor = {};

struct emit_ctx {
	struct rp_scratch *s; /* bpf_loop's context must be on the stack */
};

static long emit_one(__u64 i, void *data)
{
	struct rp_scratch *s = ((struct emit_ctx *)data)->s;

	s->ev.arg0 = (__u32)i;
	rp_event_submit(s);
	return 0;
}

/* A global, not a function-local static: clang 14 emits bad BTF offsets for the latter. */
const char rp_bench_path[] = "/usr/lib/rampart/bench/generated-event";

SEC("tp/syscalls/sys_enter_getppid")
int rp_emit(void *ctx)
{
	__u32 zero = 0;
	struct rp_emit_ctl *ctl = bpf_map_lookup_elem(&rp_emit_ctl_map, &zero);
	struct rp_scratch *s;

	if (!ctl || !ctl->tgid || (bpf_get_current_pid_tgid() >> 32) != ctl->tgid)
		return 0;
	s = rp_scratch();
	if (!s)
		return 0;
	rp_event_begin(s, RP_KIND_FILE, RP_OP_OPEN, RP_HOOK_BENCH);
	__builtin_memcpy(s->data, rp_bench_path, sizeof(rp_bench_path) - 1);
	s->ev.path_len = sizeof(rp_bench_path) - 1;
	struct emit_ctx c = { .s = s };

	bpf_loop(ctl->per_call, emit_one, &c, 0);
	return 0;
}
