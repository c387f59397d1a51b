// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * BPF-LSM enforcer: exec, file, network and capability decisions for the workloads in
 * rampart_workloads (bpf/include/rules.h), taken by decide.h, with one audit/deny record per
 * AUDIT or BLOCK written by the enforcer itself (Audit rules need no monitor visibility).
 *
 * Workload scoping. The key is the task's cgroup v2 id (bpf_get_current_cgroup_id): unique
 * per container, also for hostPID pods and for containers started outside Kubernetes, which
 * (pid-ns, mnt-ns) keys confuse. A task whose cgroup has no entry is covered by the host
 * policy (key RAMPART_HOST_WORKLOAD) only if it lives in the initial pid namespace and in the
 * host's mount namespace (rp_settings.host_mnt_ns): a hostPID pod without its own rules keeps
 * its own mount namespace and is not mistaken for the host.
 *
 * Fail closed: a path that cannot be resolved completely (longer than RP_PATH_MAX, walk cut
 * short) is denied when the workload has rules of that category or a file allow-list, and the
 * record carries RP_EVF_PATH_TRUNCATED | RP_EVF_FAIL_CLOSED.
 *
 * Every program honours the verdict of LSM programs before it (ret != 0 is passed through).
 */
#include "include/common.h"
#include "include/emit.h"
#include "include/path.h"
#include "include/decide.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const struct rampart_rule_key rampart_rule_key_btf_anchor = {};
const struct rampart_glob rampart_glob_btf_anchor = {};
const struct rp_decision rp_decision_btf_anchor = {};

#define FMODE_WRITE 0x2
#define FMODE_EXEC 0x20
#define __FMODE_EXEC 0x20 /* in f_flags */
/* Files opened by stacked filesystems on behalf of another open (overlayfs' real file):
 * FMODE_NOACCOUNT up to 6.5, FMODE_BACKING from 6.6. */
#define FMODE_NOACCOUNT 0x20000000
#define FMODE_BACKING 0x2000000
#define MAY_WRITE 0x2
#define MAY_APPEND 0x8
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFIFO 0010000

/* The workload entry that governs the current task, or NULL (not enforced). */
static __always_inline struct rampart_workload *rp_workload(__u64 *wl, __u32 *host)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct rampart_workload *w;
	struct rp_settings *st;

	*host = 0;
	*wl = bpf_get_current_cgroup_id();
	w = bpf_map_lookup_elem(&rampart_workloads, wl);
	if (w)
		return w;
	st = rp_settings();
	if (!st || !st->host_mnt_ns)
		return 0;
	if (BPF_CORE_READ(task, thread_pid, level) != 0)
		return 0;
	if (BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum) != st->host_mnt_ns)
		return 0;
	*wl = RAMPART_HOST_WORKLOAD;
	*host = 1;
	return bpf_map_lookup_elem(&rampart_workloads, wl);
}

struct rp_fnv_ctx {
	struct rp_scratch *s;
	__u64 h;
	__u32 off;
};

static long rp_fnv_cb(__u64 i, void *data)
{
	struct rp_fnv_ctx *c = data;

	c->h = rampart_fnv_step(c->h, c->s->data[(c->off + i) & (2 * RP_PATH_MAX - 1)]);
	return 0;
}

/*
 * Resolve the current task's executable into s->data[RP_PATH_MAX..] (the second half, so the
 * decided path stays at the front) and return rampart_hash_key(FNV(path)), 0 if unknown.
 */
static __always_inline __u64 rp_source(const struct rampart_workload *w, struct rp_scratch *s, __u32 *slen)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct rp_fnv_ctx c = {};
	__u32 trunc = 0, n;

	/* Only fromSource rule sets need it for the decision; events resolve it on demand. */
	*slen = 0;
	if (!(w->flags & RAMPART_WL_HAS_SOURCE))
		return 0;
	n = rp_resolve_exe(task, s->data + RP_PATH_MAX, &trunc);
	*slen = trunc ? 0 : n;
	if (!n || trunc)
		return 0;
	c.s = s;
	c.h = RAMPART_FNV_OFFSET;
	c.off = RP_PATH_MAX;
	bpf_loop(n, rp_fnv_cb, &c, 0);
	return rampart_hash_key(c.h);
}

static __always_inline __u32 rp_tty_slot(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, signal, tty) ? RAMPART_SLOT_TTY : 0;
}

static __always_inline __u32 rp_owner_slot(struct inode *inode)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 fsuid = BPF_CORE_READ(task, cred, fsuid.val);

	return inode && BPF_CORE_READ(inode, i_uid.val) == fsuid ? RAMPART_SLOT_OWNER : 0;
}

/*
 * Write the record for an AUDIT or BLOCK decision (header + the path already at the front of
 * s->data + the source, moved right behind it) and return the hook's verdict.
 */
static __always_inline int rp_verdict(struct rp_scratch *s, struct rp_decision *d, __u8 kind, __u8 op,
				      __u8 hook, __u32 path_len, __u32 path_trunc, __u32 slen, __u32 host,
				      __u32 owner)
{
	struct rp_event *ev;
	int ret = d->verdict == RAMPART_V_BLOCK ? -EPERM : 0;

	rp_count(RP_STAT_DECISIONS);
	if (d->verdict != RAMPART_V_BLOCK && d->verdict != RAMPART_V_AUDIT)
		return 0;
	rp_count(ret ? RP_STAT_DENIED : RP_STAT_AUDITED);
	if (d->truncated && ret)
		rp_count(RP_STAT_FAIL_CLOSED);
	/* Arguments were stored in ev by the caller before deciding; keep them. */
	ev = &s->ev;
	ev->ts_ns = bpf_ktime_get_boot_ns();
	ev->kind = kind;
	ev->op = op;
	ev->hook = hook;
	ev->verdict = d->verdict;
	ev->rule_id = d->rule_id;
	ev->retval = ret;
	if (d->posture)
		ev->flags |= RP_EVF_POSTURE;
	if (d->would_block)
		ev->flags |= RP_EVF_WOULD_BLOCK;
	if (d->truncated)
		ev->flags |= RP_EVF_FAIL_CLOSED;
	if (path_trunc)
		ev->flags |= RP_EVF_PATH_TRUNCATED;
	if (host)
		ev->flags |= RP_EVF_HOST;
	if (owner)
		ev->flags |= RP_EVF_OWNER;
	if (!slen) {
		__u32 strunc = 0;

		slen = rp_resolve_exe((struct task_struct *)bpf_get_current_task(), s->data + RP_PATH_MAX, &strunc);
		if (strunc)
			slen = 0;
	}
	path_len &= RP_PATH_MAX - 1;
	slen &= RP_PATH_MAX - 1;
	ev->path_len = path_len;
	ev->source_len = 0;
	if (slen && bpf_probe_read_kernel(s->data + RP_BOUND(path_len, 4095), RP_BOUND(slen, 4095),
					  s->data + RP_PATH_MAX) == 0)
		ev->source_len = slen;
	rp_event_submit_throttled(s);
	return ret;
}

/* Begin a decision: header (task part) filled, flags cleared. */
static __always_inline struct rp_scratch *rp_begin(__u8 kind)
{
	struct rp_scratch *s = rp_scratch();

	if (s)
		rp_event_begin(s, kind, 0, 0);
	return s;
}

/* ---- exec ---------------------------------------------------------------------------- */

SEC("lsm/bprm_check_security")
int BPF_PROG(rp_enf_bprm, struct linux_binprm *bprm, int ret)
{
	struct rampart_workload *w;
	struct rp_decision d = {};
	struct rp_scratch *s;
	struct file *f;
	__u32 host, trunc = 0, len, slen = 0, slot;
	__u64 wl, src = 0;

	if (ret)
		return ret;
	w = rp_workload(&wl, &host);
	if (!w || !(w->flags & (RAMPART_WL_HAS_PROC | RAMPART_WL_ALLOWLIST_FILE)))
		return 0;
	s = rp_begin(RP_KIND_PROCESS);
	if (!s)
		return 0;
	f = BPF_CORE_READ(bprm, file);
	len = rp_resolve_path(&f->f_path, s->data, &trunc);
	/* fromSource of an exec = the image doing the exec (still current's mm here). */
	src = rp_source(w, s, &slen);
	slot = rp_tty_slot() | rp_owner_slot(BPF_CORE_READ(f, f_inode));
	rp_decide_path(wl, w, s, len, trunc, 1, src, slot, &d);
	return rp_verdict(s, &d, RP_KIND_PROCESS, RP_OP_EXEC, RP_HOOK_LSM_BPRM_CHECK, len, trunc, slen, host,
			  slot & RAMPART_SLOT_OWNER);
}

/* ---- files --------------------------------------------------------------------------- */

/*
 * The open of a container's file on overlayfs reaches file_open twice: for the overlay file,
 * and for the real (upper/lower) file the overlay opens with the mounter's credentials. Only
 * the first is the workload's access; deciding the second would double every event and see
 * the wrong fsuid (ownerOnly).
 */
static __always_inline int rp_backing_file(struct file *file)
{
	return (BPF_CORE_READ(file, f_mode) & (FMODE_NOACCOUNT | FMODE_BACKING)) != 0;
}

static __always_inline int rp_file(struct file *file, __u32 write, __u8 op, __u8 hook, __u32 mask)
{
	struct rampart_workload *w;
	struct rp_decision d = {};
	struct rp_scratch *s;
	struct inode *inode;
	__u32 host, trunc = 0, len, slen = 0, slot, mode;
	__u64 wl, src;

	w = rp_workload(&wl, &host);
	if (!w || !(w->flags & (RAMPART_WL_HAS_FILE | RAMPART_WL_ALLOWLIST_FILE)))
		return 0;
	/* Pipes, sockets and anonymous inodes (eventfd, epoll...) have no path a rule could name:
	 * they are not file accesses (an allow-list must not block a process's own stdout pipe). */
	inode = BPF_CORE_READ(file, f_inode);
	mode = BPF_CORE_READ(inode, i_mode) & S_IFMT;
	if (mode == 0 || mode == S_IFIFO || mode == S_IFSOCK)
		return 0;
	s = rp_begin(RP_KIND_FILE);
	if (!s)
		return 0;
	len = rp_resolve_path(&file->f_path, s->data, &trunc);
	src = rp_source(w, s, &slen);
	slot = (write ? RAMPART_SLOT_WRITE : 0) | rp_tty_slot() | rp_owner_slot(inode);
	s->ev.arg0 = mask;
	s->ev.arg1 = BPF_CORE_READ(inode, i_mode);
	s->ev.arg2 = BPF_CORE_READ(inode, i_uid.val);
	rp_decide_path(wl, w, s, len, trunc, 0, src, slot, &d);
	return rp_verdict(s, &d, RP_KIND_FILE, op, hook, len, trunc, slen, host, slot & RAMPART_SLOT_OWNER);
}

SEC("lsm/file_open")
int BPF_PROG(rp_enf_file_open, struct file *file, int ret)
{
	__u32 mode;

	if (ret)
		return ret;
	mode = BPF_CORE_READ(file, f_mode);
	/* The binary opened by execve is decided by bprm_check_security, not as a file read. */
	if ((mode & FMODE_EXEC) || (BPF_CORE_READ(file, f_flags) & __FMODE_EXEC) || rp_backing_file(file))
		return 0;
	return rp_file(file, mode & FMODE_WRITE, RP_OP_OPEN, RP_HOOK_LSM_FILE_OPEN, BPF_CORE_READ(file, f_flags));
}

SEC("lsm/file_permission")
int BPF_PROG(rp_enf_file_perm, struct file *file, int mask, int ret)
{
	if (ret)
		return ret;
	/* Reads were decided at open; only writes are re-checked (KubeArmor's file_permission). */
	if (!(mask & (MAY_WRITE | MAY_APPEND)) || rp_backing_file(file))
		return 0;
	return rp_file(file, 1, RP_OP_WRITE, RP_HOOK_LSM_FILE_PERMISSION, mask);
}

/* ---- path operations (CONFIG_SECURITY_PATH; optional: attach failures are reported) ---- */

/* Resolve dir + "/" + name into s->data. */
static __always_inline __u32 rp_resolve_child(const struct path *dir, struct dentry *dentry, struct rp_scratch *s,
					      __u32 *trunc)
{
	struct qstr name = BPF_CORE_READ(dentry, d_name);
	__u32 len = rp_resolve_path(dir, s->data, trunc), n = name.len;

	if (*trunc)
		return len;
	if (len == 1) /* "/" */
		len = 0;
	if (len + 1 + n >= RP_PATH_MAX || n > RP_NAME_MAX) {
		*trunc = 1;
		return len;
	}
	s->data[RP_BOUND(len, 4095)] = '/';
	len++;
	bpf_probe_read_kernel(s->data + RP_BOUND(len, 4095), RP_BOUND(n, 255), name.name);
	return len + n;
}

static __always_inline int rp_path_op(const struct path *dir, struct dentry *dentry, __u8 op, __u8 hook,
				      __u32 arg)
{
	struct rampart_workload *w;
	struct rp_decision d = {};
	struct rp_scratch *s;
	__u32 host, trunc = 0, len, slen = 0, slot;
	__u64 wl, src;

	w = rp_workload(&wl, &host);
	if (!w || !(w->flags & (RAMPART_WL_HAS_FILE | RAMPART_WL_ALLOWLIST_FILE)))
		return 0;
	s = rp_begin(RP_KIND_FILE);
	if (!s)
		return 0;
	if (dentry)
		len = rp_resolve_child(dir, dentry, s, &trunc);
	else
		len = rp_resolve_path(dir, s->data, &trunc);
	src = rp_source(w, s, &slen);
	slot = RAMPART_SLOT_WRITE | rp_tty_slot() |
	       rp_owner_slot(dentry ? BPF_CORE_READ(dentry, d_inode) : BPF_CORE_READ(dir, dentry, d_inode));
	s->ev.arg0 = arg;
	rp_decide_path(wl, w, s, len, trunc, 0, src, slot, &d);
	return rp_verdict(s, &d, RP_KIND_FILE, op, hook, len, trunc, slen, host, slot & RAMPART_SLOT_OWNER);
}

SEC("lsm/path_unlink")
int BPF_PROG(rp_enf_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	return ret ? ret : rp_path_op(dir, dentry, RP_OP_UNLINK, RP_HOOK_LSM_PATH_UNLINK, 0);
}

SEC("lsm/path_rmdir")
int BPF_PROG(rp_enf_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	return ret ? ret : rp_path_op(dir, dentry, RP_OP_RMDIR, RP_HOOK_LSM_PATH_RMDIR, 0);
}

SEC("lsm/path_mkdir")
int BPF_PROG(rp_enf_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	return ret ? ret : rp_path_op(dir, dentry, RP_OP_MKDIR, RP_HOOK_LSM_PATH_MKDIR, mode);
}

SEC("lsm/path_rename")
int BPF_PROG(rp_enf_path_rename, const struct path *old_dir, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, unsigned int flags, int ret)
{
	/* The source of a rename is what a rule protects (moving a file away modifies it). */
	return ret ? ret : rp_path_op(old_dir, old_dentry, RP_OP_RENAME, RP_HOOK_LSM_PATH_RENAME, flags);
}

SEC("lsm/path_chmod")
int BPF_PROG(rp_enf_path_chmod, const struct path *path, umode_t mode, int ret)
{
	return ret ? ret : rp_path_op(path, 0, RP_OP_CHMOD, RP_HOOK_LSM_PATH_CHMOD, mode);
}

/*
 * A hard link is another name of the linked file: a rule on the file's path would not see
 * accesses through it (kubearmor-compat §21.1.5). So creating one is decided three times, by
 * three programs on the hook (each verified on its own; the first denial ends the chain, since
 * every program returns an earlier program's error unchanged): the new name like any file
 * created in its directory; the linked file as a write of it (a link lets it be written under
 * another name); and, for process rules, the linked file as an exec of it (Block by a rule,
 * not by an allow-list posture: linking a data file is not running it). Names that already
 * exist (busybox's applets, say) keep path semantics; copies are new files.
 */
static __always_inline int rp_link_target(struct dentry *old_dentry, const struct path *new_dir, int proc)
{
	struct rampart_workload *w;
	struct rp_decision d = {};
	struct rp_scratch *s;
	__u32 host, trunc = 0, len, slen = 0, slot;
	__u64 wl, src;

	w = rp_workload(&wl, &host);
	if (!w || !(w->flags & (proc ? RAMPART_WL_HAS_PROC : (RAMPART_WL_HAS_FILE | RAMPART_WL_ALLOWLIST_FILE))))
		return 0;
	s = rp_begin(RP_KIND_FILE);
	if (!s)
		return 0;
	/* Hard links never cross mounts: the linked file lives on new_dir's mount. */
	len = rp_resolve_at(BPF_CORE_READ(new_dir, mnt), old_dentry, s->data, &trunc);
	src = rp_source(w, s, &slen);
	slot = (proc ? 0 : RAMPART_SLOT_WRITE) | rp_tty_slot() | rp_owner_slot(BPF_CORE_READ(old_dentry, d_inode));
	s->ev.arg0 = proc ? 2 : 1; /* 1 = the linked file as a write, 2 = as an exec (0 = the new name) */
	rp_decide_path(wl, w, s, len, trunc, proc, src, slot, &d);
	if (proc && !d.rule_id)
		d.verdict = RAMPART_V_ALLOW; /* posture or fail-closed: not an exec */
	return rp_verdict(s, &d, RP_KIND_FILE, RP_OP_LINK, RP_HOOK_LSM_PATH_LINK, len, trunc, slen, host,
			  slot & RAMPART_SLOT_OWNER);
}

SEC("lsm/path_link")
int BPF_PROG(rp_enf_path_link, struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry,
	     int ret)
{
	return ret ? ret : rp_path_op(new_dir, new_dentry, RP_OP_LINK, RP_HOOK_LSM_PATH_LINK, 0);
}

SEC("lsm/path_link")
int BPF_PROG(rp_enf_path_link_file, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	return ret ? ret : rp_link_target(old_dentry, new_dir, 0);
}

SEC("lsm/path_link")
int BPF_PROG(rp_enf_path_link_exec, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	return ret ? ret : rp_link_target(old_dentry, new_dir, 1);
}

/* ---- network ------------------------------------------------------------------------- */

static __always_inline int rp_net(int family, int type, int protocol, __u8 op, __u8 hook)
{
	struct rampart_workload *w;
	struct rp_decision d = {};
	struct rp_scratch *s;
	__u32 host, slen = 0, proto = 0;
	__u64 wl, src;

	w = rp_workload(&wl, &host);
	if (!w || !(w->flags & (RAMPART_WL_HAS_NET | RAMPART_WL_ALLOWLIST_NET)))
		return 0;
	s = rp_begin(RP_KIND_NETWORK);
	if (!s)
		return 0;
	type &= 0xf; /* strip SOCK_NONBLOCK / SOCK_CLOEXEC */
	if (family == AF_INET || family == AF_INET6) {
		proto = protocol;
		/* Protocol 0 = the family's default for the type. */
		if (!proto && type == SOCK_STREAM)
			proto = 6;
		else if (!proto && type == SOCK_DGRAM)
			proto = 17;
	}
	src = rp_source(w, s, &slen);
	s->ev.arg0 = family;
	s->ev.arg1 = type;
	s->ev.arg2 = proto;
	rp_decide_net(wl, w, proto, type, src, rp_tty_slot(), &d);
	return rp_verdict(s, &d, RP_KIND_NETWORK, op, hook, 0, 0, slen, host, 0);
}

SEC("lsm/socket_create")
int BPF_PROG(rp_enf_socket_create, int family, int type, int protocol, int kern, int ret)
{
	if (ret)
		return ret;
	if (kern)
		return 0; /* kernel-internal sockets are not the workload's doing */
	return rp_net(family, type, protocol, RP_OP_SOCKET, RP_HOOK_LSM_SOCKET_CREATE);
}

SEC("lsm/socket_connect")
int BPF_PROG(rp_enf_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	if (ret)
		return ret;
	return rp_net(BPF_CORE_READ(sock, sk, __sk_common.skc_family), BPF_CORE_READ(sock, type),
		      BPF_CORE_READ(sock, sk, sk_protocol), RP_OP_CONNECT, RP_HOOK_LSM_SOCKET_CONNECT);
}

SEC("lsm/socket_accept")
int BPF_PROG(rp_enf_socket_accept, struct socket *sock, struct socket *newsock, int ret)
{
	if (ret)
		return ret;
	return rp_net(BPF_CORE_READ(sock, sk, __sk_common.skc_family), BPF_CORE_READ(sock, type),
		      BPF_CORE_READ(sock, sk, sk_protocol), RP_OP_ACCEPT, RP_HOOK_LSM_SOCKET_ACCEPT);
}

/* ---- capabilities --------------------------------------------------------------------- */

SEC("lsm/capable")
int BPF_PROG(rp_enf_capable, const struct cred *cred, struct user_namespace *ns, int cap, unsigned int opts,
	     int ret)
{
	struct rampart_workload *w;
	struct rp_decision d = {};
	struct rp_scratch *s;
	__u32 host, slen = 0;
	__u64 wl, src;

	if (ret)
		return ret;
	w = rp_workload(&wl, &host);
	if (!w || !(w->flags & (RAMPART_WL_HAS_CAP | RAMPART_WL_ALLOWLIST_CAP)))
		return 0;
	s = rp_begin(RP_KIND_CAPABILITY);
	if (!s)
		return 0;
	src = rp_source(w, s, &slen);
	s->ev.arg0 = cap;
	s->ev.arg1 = opts;
	rp_decide_cap(wl, w, cap, src, rp_tty_slot(), &d);
	return rp_verdict(s, &d, RP_KIND_CAPABILITY, RP_OP_CAPABLE, RP_HOOK_LSM_CAPABLE, 0, 0, slen, host, 0);
}
