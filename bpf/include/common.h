/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Includes and small helpers shared by every Rampart BPF object. All kernel structure
 * reads go through BPF_CORE_READ so one object built against the build machine's BTF loads
 * on other kernels (the test VM runs 6.1, the host 6.18).
 */
#ifndef RAMPART_COMMON_H
#define RAMPART_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "events.h"

#ifndef EPERM
#define EPERM 1
#endif

#define RP_ALWAYS_INLINE static __always_inline

/* Bound a value in a register right where it is used (x & mask, mask a literal): after a
 * spill/reload or a compare the verifier may not know the bound, and clang drops a plain C mask
 * it can prove redundant. */
#define RP_BOUND(x, mask) ({ __u64 __b = (x); asm volatile("%0 &= " #mask : "+r"(__b)); __b; })

/* container_of for CO-RE pointers (no dereference). */
#define rp_container_of(ptr, type, member) ((type *)((void *)(ptr) - __builtin_offsetof(type, member)))

#endif /* RAMPART_COMMON_H */
