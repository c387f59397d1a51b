#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vm-timeout: 1500
#
# Guest test: real BPF-LSM enforcement by Rampart's enforcer object, loaded through the native
# addon, on workloads scoped by cgroup: exec (path, dir, recursive dir, fromSource, execname,
# ownerOnly, glob), file (read/write, readOnly, ownerOnly, recursive, a path deeper than 20
# components and longer than 200 characters), network (tcp, udp, icmp, raw), capability
# (net_raw), allow-lists with block and audit posture, audit rules. Every denial is a real
# EPERM inside the scope with exactly one event, and has no effect outside the scope.
# The cases are compiled on the host (bpf-enforce.prepare.sh); BPF_ENFORCE_CASES=a,b limits them.
set -u
cd "$RAMPART_ROOT"
node "$VM_TEST_WORK/guest.cjs" "$VM_TEST_WORK"
