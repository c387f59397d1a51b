// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * BPF_PROG_TEST_RUN harness for decide.h. Runs on kernels that refuse LSM programs (the
 * team's host): user space writes one case into rp_test_in, runs rp_test_decide through
 * BPF_PROG_TEST_RUN, and reads the decision from rp_test_out. The rule maps are the real ones
 * (rules.h), filled by the same generation-swap code the daemon uses.
 */
#include "include/common.h"
#include "include/decide.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define RP_TEST_PATH 0
#define RP_TEST_EXEC 1
#define RP_TEST_NET 2
#define RP_TEST_CAP 3

struct rp_test_input {
	__u64 workload;
	__u64 source_hash;	/* rampart_hash_key(FNV(source)), 0 = none */
	__u32 category;		/* RP_TEST_* */
	__u32 slot;		/* RAMPART_SLOT_WRITE | OWNER | TTY */
	__u32 ip_protocol;	/* 0 = unknown */
	__u32 sock_type;	/* 0 = unknown */
	__s32 capability;	/* -1 = unknown */
	__u32 path_len;
	__u32 truncated;
	__u32 repeat_marker;	/* echoed back, so a stale output is never mistaken for a result */
	char path[RP_PATH_MAX];
};

struct rp_test_output {
	struct rp_decision d;
	__u32 marker;
	__u32 found;		/* the workload entry existed */
};

/* 0 → struct rp_test_input (user-written). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_test_input);
} rp_test_in SEC(".maps");

/* 0 → struct rp_test_output (kernel-written). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_test_output);
} rp_test_out SEC(".maps");

const struct rp_test_input rp_test_input_btf_anchor = {};
const struct rp_test_output rp_test_output_btf_anchor = {};

static __always_inline int run_case(void)
{
	struct rp_test_output *out;
	struct rp_test_input *in;
	struct rampart_workload *w;
	struct rp_decision d = {};
	struct rp_scratch *s;
	__u32 zero = 0, len;
	__u64 wl;

	in = bpf_map_lookup_elem(&rp_test_in, &zero);
	out = bpf_map_lookup_elem(&rp_test_out, &zero);
	s = rp_scratch();
	if (!in || !out || !s)
		return 1;
	wl = in->workload;
	w = bpf_map_lookup_elem(&rampart_workloads, &wl);
	out->marker = in->repeat_marker;
	out->found = w != 0;
	if (!w) {
		d.verdict = RAMPART_V_ALLOW;
		out->d = d;
		return 0;
	}
	switch (in->category) {
	case RP_TEST_PATH:
	case RP_TEST_EXEC:
		len = in->path_len;
		if (len >= RP_PATH_MAX)
			len = RP_PATH_MAX; /* decide treats it as unresolvable */
		bpf_probe_read_kernel(s->data, len & (RP_PATH_MAX - 1), in->path);
		rp_decide_path(wl, w, s, len, in->truncated, in->category == RP_TEST_EXEC, in->source_hash,
			       in->slot, &d);
		break;
	case RP_TEST_NET:
		rp_decide_net(wl, w, in->ip_protocol, in->sock_type, in->source_hash, in->slot & RAMPART_SLOT_TTY, &d);
		break;
	case RP_TEST_CAP:
		rp_decide_cap(wl, w, in->capability, in->source_hash, in->slot & RAMPART_SLOT_TTY, &d);
		break;
	default:
		return 1;
	}
	out->d = d;
	return 0;
}

/* The replay harness: raw_tracepoint programs run through BPF_PROG_TEST_RUN on every kernel
 * we target, but take no repeat count. */
SEC("raw_tp")
int rp_test_decide(void *ctx)
{
	return run_case();
}

/* The cost benchmark: BPF_PROG_TEST_RUN of a tc program accepts a repeat count and reports
 * the average duration per run measured in the kernel (bench/lookup). The packet is unused. */
SEC("tc")
int rp_bench_decide(struct __sk_buff *skb)
{
	return run_case();
}
