// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* BPF-LSM enforcer (placeholder until decide.h lands). */
#include "include/common.h"
#include "include/emit.h"
#include "include/rules.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const struct rampart_rule_key rampart_rule_key_btf_anchor = {};
const struct rampart_glob rampart_glob_btf_anchor = {};

SEC("lsm/bprm_check_security")
int BPF_PROG(rp_enf_bprm, struct linux_binprm *bprm, int ret)
{
	__u64 wl = bpf_get_current_cgroup_id();

	if (ret)
		return ret;
	if (!bpf_map_lookup_elem(&rampart_workloads, &wl))
		return 0;
	return 0;
}
