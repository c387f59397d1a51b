/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Resolve a struct path to the absolute path the task sees (relative to its fs root, crossing
 * mounts), in BPF, without bpf_d_path (not allowed in tracepoints, and only on some LSM hooks).
 *
 * The walk runs under bpf_loop so the number of components is bounded by RP_PATH_MAX, not by
 * the verifier's unrolling budget: KubeArmor's 20-component / 64-character limits (#2609) do
 * not exist here. A path that does not fit is reported as truncated, never silently cut: the
 * enforcer fails closed on it under a block posture.
 *
 * Components are written right-to-left into a per-CPU buffer and the result is copied to its
 * destination left-aligned.
 */
#ifndef RAMPART_PATH_H
#define RAMPART_PATH_H

#include "common.h"

#define RP_NAME_MAX 255
/* One iteration per component or mount crossing: "/a" is the shortest component, so a
 * 4096-byte path has at most 2048 of them, plus some mount crossings. */
#define RP_WALK_MAX_STEPS 2200

struct rp_walk_buf {
	char buf[RP_PATH_MAX + RP_NAME_MAX + 1];
};

/* 0 → walk buffer (per-CPU working memory). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rp_walk_buf);
} rp_walk_map SEC(".maps");

struct rp_walk_ctx {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u32 pos;	/* next byte is written at buf[pos - 1] and leftwards */
	__u32 truncated;
};

static long rp_walk_step(__u64 index, void *data)
{
	struct rp_walk_ctx *c = data;
	struct dentry *dentry = c->dentry, *parent, *mnt_root;
	struct vfsmount *vfsmnt = c->vfsmnt;
	struct mount *mnt = c->mnt, *mparent;
	struct rp_walk_buf *wb;
	struct qstr name;
	__u32 zero = 0, len, pos;

	if (dentry == c->root_dentry && vfsmnt == c->root_mnt)
		return 1; /* reached the task's root */
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	if (dentry == mnt_root) {
		mparent = BPF_CORE_READ(mnt, mnt_parent);
		if (mparent == mnt)
			return 1; /* root of the mount namespace */
		c->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = mparent;
		c->vfsmnt = &mparent->mnt;
		return 0;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	if (parent == dentry || !parent)
		return 1; /* root of an unmounted tree (pipe:, anon_inode:, deleted mounts) */
	name = BPF_CORE_READ(dentry, d_name);
	len = name.len;
	pos = c->pos;
	if (len > RP_NAME_MAX || len + 1 > pos) {
		c->truncated = 1;
		return 1;
	}
	wb = bpf_map_lookup_elem(&rp_walk_map, &zero);
	if (!wb)
		return 1;
	pos -= len;
	/* pos < RP_PATH_MAX and len <= RP_NAME_MAX keep the write inside buf. */
	bpf_probe_read_kernel(&wb->buf[pos & (RP_PATH_MAX - 1)], len & RP_NAME_MAX, name.name);
	pos -= 1;
	wb->buf[pos & (RP_PATH_MAX - 1)] = '/';
	c->pos = pos;
	c->dentry = parent;
	return 0;
}

/*
 * Resolve the path of `dentry` on mount `vfsmnt` (kernel pointers) into dst[0..len). Returns the length (>= 1: "/" for the
 * root) and sets *truncated when the path did not fit or the walk ran out of steps.
 * dst must have room for RP_PATH_MAX bytes; a trailing NUL is written when there is room.
 */
RP_ALWAYS_INLINE __u32 rp_resolve_at(struct vfsmount *vfsmnt, struct dentry *dentry, char *dst, __u32 *truncated)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct rp_walk_ctx c = {};
	struct rp_walk_buf *wb;
	__u32 zero = 0, len;
	long steps;

	*truncated = 0;
	c.dentry = dentry;
	c.vfsmnt = vfsmnt;
	c.mnt = rp_container_of(c.vfsmnt, struct mount, mnt);
	c.root_dentry = BPF_CORE_READ(task, fs, root.dentry);
	c.root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	/* Leave one byte so the longest result plus a NUL fits RP_PATH_MAX. */
	c.pos = RP_PATH_MAX - 1;
	steps = bpf_loop(RP_WALK_MAX_STEPS, rp_walk_step, &c, 0);
	if (steps >= RP_WALK_MAX_STEPS)
		c.truncated = 1;
	*truncated = c.truncated;
	wb = bpf_map_lookup_elem(&rp_walk_map, &zero);
	if (!wb)
		return 0;
	if (c.pos >= RP_PATH_MAX - 1) {
		dst[0] = '/';
		dst[1] = 0;
		return 1;
	}
	len = RP_PATH_MAX - 1 - c.pos;
	bpf_probe_read_kernel(dst, len & (RP_PATH_MAX - 1), &wb->buf[c.pos & (RP_PATH_MAX - 1)]);
	dst[len & (RP_PATH_MAX - 1)] = 0;
	return len;
}

RP_ALWAYS_INLINE __u32 rp_resolve_path(const struct path *path, char *dst, __u32 *truncated)
{
	return rp_resolve_at(BPF_CORE_READ(path, mnt), BPF_CORE_READ(path, dentry), dst, truncated);
}

/* Path of a task's executable (current->mm->exe_file), or 0 for kernel threads. */
RP_ALWAYS_INLINE __u32 rp_resolve_exe(struct task_struct *task, char *dst, __u32 *truncated)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);

	*truncated = 0;
	if (!exe)
		return 0;
	return rp_resolve_path(&exe->f_path, dst, truncated);
}

/* Copy a user-supplied string (syscall argument, not resolved) into dst. */
RP_ALWAYS_INLINE __u32 rp_user_path(const char *uptr, char *dst, __u32 *truncated)
{
	long n = bpf_probe_read_user_str(dst, RP_PATH_MAX, uptr);

	*truncated = 0;
	if (n <= 0)
		return 0;
	if (n >= RP_PATH_MAX)
		*truncated = 1;
	return (__u32)(n - 1) & (RP_PATH_MAX - 1);
}

#endif /* RAMPART_PATH_H */
