/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Monitor scoping: which workloads (cgroup v2 ids) the system monitor reports on, and for
 * which families. Filtering happens here, in the kernel, so unmonitored workloads cost one
 * hash lookup per traced syscall and produce no ring traffic.
 */
#ifndef RAMPART_SCOPE_H
#define RAMPART_SCOPE_H

#include "emit.h"

/* cgroup id → struct rp_scope (user-written). Host processes are reported only if the id of
 * their cgroup (the v2 root on a host without cgroup v2 delegation) is in the map. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct rp_scope);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rp_monitor_scope SEC(".maps");

/* Is the current task's workload monitored for `vis` (RP_VIS_*)? */
RP_ALWAYS_INLINE int rp_monitored(__u32 vis)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct rp_scope *sc = bpf_map_lookup_elem(&rp_monitor_scope, &cgid);
	struct rp_settings *st;

	if (sc)
		return (sc->visibility & vis) != 0;
	st = rp_settings();
	return st && st->monitor_all;
}

#endif /* RAMPART_SCOPE_H */
