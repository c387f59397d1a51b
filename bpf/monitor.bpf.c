// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * System monitor: process lifecycle, file, network and capability telemetry for the
 * workloads listed in rp_monitor_scope, written to the shared rp_events ring.
 *
 * Only tracepoints are used (sched, syscalls, capability): they load on every kernel Rampart
 * targets, including hosts that refuse trampoline programs (kprobe/fentry/LSM). Syscall
 * enter handlers stash the arguments; exit handlers emit one record with the return value.
 * A successful openat is reported with the path resolved from the new fd, so relative paths
 * and symlinks show the real file; failed calls report the user-supplied string
 * (RP_EVF_PATH_USER).
 */
#include "include/common.h"
#include "include/emit.h"
#include "include/path.h"
#include "include/scope.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Syscall arguments between enter and exit, keyed by pid_tgid (kernel-written). */
struct rp_sys_args {
	__u64 args[4];
	__u32 op;
	__u32 hook;
};

/* pid_tgid → struct rp_sys_args (kernel-written; LRU so a lost exit cannot leak entries). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct rp_sys_args);
} rp_mon_args SEC(".maps");

/* Args are passed by value: the verifier rejects loads through a derived ctx pointer. */
static __always_inline void stash(__u32 op, __u32 hook, __u32 vis, __u64 a0, __u64 a1, __u64 a2)
{
	struct rp_sys_args a = {};
	__u64 id;

	if (!rp_monitored(vis))
		return;
	id = bpf_get_current_pid_tgid();
	a.op = op;
	a.hook = hook;
	a.args[0] = a0;
	a.args[1] = a1;
	a.args[2] = a2;
	bpf_map_update_elem(&rp_mon_args, &id, &a, BPF_ANY);
}

static __always_inline struct rp_sys_args *unstash(struct rp_sys_args *out)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct rp_sys_args *a = bpf_map_lookup_elem(&rp_mon_args, &id);

	if (!a)
		return 0;
	*out = *a;
	bpf_map_delete_elem(&rp_mon_args, &id);
	return out;
}

/* struct file * of fd in the current task, or NULL. */
static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	struct file *f = 0;

	if (fd < 0 || (unsigned int)fd >= max)
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline void set_path_from_file(struct rp_scratch *s, struct file *f)
{
	__u32 trunc = 0;

	s->ev.path_len = rp_resolve_path(&f->f_path, s->data, &trunc);
	if (trunc)
		s->ev.flags |= RP_EVF_PATH_TRUNCATED;
}

static __always_inline void set_path_from_user(struct rp_scratch *s, const char *u)
{
	__u32 trunc = 0;

	s->ev.path_len = rp_user_path(u, s->data, &trunc);
	s->ev.flags |= RP_EVF_PATH_USER;
	if (trunc)
		s->ev.flags |= RP_EVF_PATH_TRUNCATED;
}

static __always_inline void set_source_exe(struct rp_scratch *s, struct task_struct *task)
{
	__u32 trunc = 0, off = s->ev.path_len & (RP_PATH_MAX - 1);

	s->ev.source_len = rp_resolve_exe(task, s->data + off, &trunc);
	if (trunc)
		s->ev.flags |= RP_EVF_SOURCE_TRUNCATED;
}

/* ---- process lifecycle ------------------------------------------------------------- */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(rp_mon_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct rp_scratch *s;
	struct file *f;

	if (!rp_monitored(RP_VIS_PROCESS) || !(s = rp_scratch()))
		return 0;
	rp_event_begin(s, RP_KIND_PROCESS, RP_OP_EXEC, RP_HOOK_TP_SCHED_EXEC);
	f = BPF_CORE_READ(bprm, file);
	if (f)
		set_path_from_file(s, f);
	/* Source = the parent's executable (KubeArmor's ParentProcessName). */
	set_source_exe(s, BPF_CORE_READ(p, real_parent));
	rp_event_submit(s);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(rp_mon_fork, struct task_struct *parent, struct task_struct *child)
{
	struct rp_scratch *s;

	/* Threads are not processes: report new thread groups only. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	if (!rp_monitored(RP_VIS_PROCESS) || !(s = rp_scratch()))
		return 0;
	rp_event_begin(s, RP_KIND_PROCESS, RP_OP_FORK, RP_HOOK_TP_SCHED_FORK);
	s->ev.arg0 = BPF_CORE_READ(child, tgid); /* child's host pid */
	set_source_exe(s, (struct task_struct *)bpf_get_current_task());
	rp_event_submit(s);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(rp_mon_exit, struct task_struct *p)
{
	struct rp_scratch *s;

	if (BPF_CORE_READ(p, pid) != BPF_CORE_READ(p, tgid))
		return 0;
	if (!rp_monitored(RP_VIS_PROCESS) || !(s = rp_scratch()))
		return 0;
	rp_event_begin(s, RP_KIND_PROCESS, RP_OP_EXIT, RP_HOOK_TP_SCHED_EXIT);
	s->ev.arg0 = BPF_CORE_READ(p, exit_code);
	rp_event_submit(s);
	return 0;
}

/* ---- syscalls ------------------------------------------------------------------------ */

SEC("tp/syscalls/sys_enter_execve")
int rp_mon_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	stash(RP_OP_EXEC_FAILED, RP_HOOK_TP_SYS_EXECVE, RP_VIS_PROCESS, ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int rp_mon_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	struct rp_sys_args a;
	struct rp_scratch *s;

	/* Success is reported by sched_process_exec with the resolved path. */
	if (!unstash(&a) || ctx->ret >= 0 || !(s = rp_scratch()))
		return 0;
	rp_event_begin(s, RP_KIND_PROCESS, RP_OP_EXEC_FAILED, RP_HOOK_TP_SYS_EXECVE);
	s->ev.retval = ctx->ret;
	set_path_from_user(s, (const char *)a.args[0]);
	set_source_exe(s, (struct task_struct *)bpf_get_current_task());
	rp_event_submit(s);
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int rp_mon_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	/* args: dfd, filename, flags, mode. Stored shifted so exit sees {filename, flags, mode}. */
	stash(RP_OP_OPEN, RP_HOOK_TP_SYS_OPENAT, RP_VIS_FILE, ctx->args[1], ctx->args[2], ctx->args[3]);
	return 0;
}

SEC("tp/syscalls/sys_enter_open")
int rp_mon_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	stash(RP_OP_OPEN, RP_HOOK_TP_SYS_OPEN, RP_VIS_FILE, ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

static __always_inline int exit_open(long ret)
{
	struct rp_sys_args a;
	struct rp_scratch *s;
	struct file *f = 0;

	if (!unstash(&a) || a.op != RP_OP_OPEN || !(s = rp_scratch()))
		return 0;
	rp_event_begin(s, RP_KIND_FILE, RP_OP_OPEN, a.hook);
	s->ev.retval = ret;
	s->ev.arg0 = a.args[1];
	s->ev.arg1 = a.args[2];
	if (ret >= 0)
		f = fd_file(ret);
	if (f)
		set_path_from_file(s, f);
	else
		set_path_from_user(s, (const char *)a.args[0]);
	set_source_exe(s, (struct task_struct *)bpf_get_current_task());
	rp_event_submit(s);
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int rp_mon_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return exit_open(ctx->ret);
}

SEC("tp/syscalls/sys_exit_open")
int rp_mon_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return exit_open(ctx->ret);
}

SEC("tp/syscalls/sys_enter_unlinkat")
int rp_mon_enter_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	stash(RP_OP_UNLINK, RP_HOOK_TP_SYS_UNLINK, RP_VIS_FILE, ctx->args[1], ctx->args[2], 0);
	return 0;
}

SEC("tp/syscalls/sys_enter_unlink")
int rp_mon_enter_unlink(struct trace_event_raw_sys_enter *ctx)
{
	stash(RP_OP_UNLINK, RP_HOOK_TP_SYS_UNLINK, RP_VIS_FILE, ctx->args[0], 0, 0);
	return 0;
}

static __always_inline int exit_unlink(long ret)
{
	struct rp_sys_args a;
	struct rp_scratch *s;

	if (!unstash(&a) || a.op != RP_OP_UNLINK || !(s = rp_scratch()))
		return 0;
	rp_event_begin(s, RP_KIND_FILE, RP_OP_UNLINK, RP_HOOK_TP_SYS_UNLINK);
	s->ev.retval = ret;
	s->ev.arg0 = a.args[1]; /* unlinkat flags (AT_REMOVEDIR) */
	set_path_from_user(s, (const char *)a.args[0]);
	set_source_exe(s, (struct task_struct *)bpf_get_current_task());
	rp_event_submit(s);
	return 0;
}

SEC("tp/syscalls/sys_exit_unlinkat")
int rp_mon_exit_unlinkat(struct trace_event_raw_sys_exit *ctx)
{
	return exit_unlink(ctx->ret);
}

SEC("tp/syscalls/sys_exit_unlink")
int rp_mon_exit_unlink(struct trace_event_raw_sys_exit *ctx)
{
	return exit_unlink(ctx->ret);
}

/* ---- network ------------------------------------------------------------------------- */

/* Copy family, port and address out of a user sockaddr. */
static __always_inline void read_sockaddr(struct rp_event *ev, const void *uaddr)
{
	struct sockaddr_in6 sa = {};

	if (!uaddr || bpf_probe_read_user(&sa, sizeof(sa), uaddr))
		if (!uaddr || bpf_probe_read_user(&sa, sizeof(struct sockaddr_in), uaddr))
			return;
	ev->arg0 = sa.sin6_family;
	ev->arg3 = __builtin_bswap16(sa.sin6_port);
	if (sa.sin6_family == 2 /* AF_INET */)
		__builtin_memcpy(ev->addr, &((struct sockaddr_in *)&sa)->sin_addr, 4);
	else if (sa.sin6_family == 10 /* AF_INET6 */)
		__builtin_memcpy(ev->addr, &sa.sin6_addr, 16);
}

/* Socket type and protocol of fd (for the record's arg1/arg2). */
static __always_inline void read_sock(struct rp_event *ev, int fd)
{
	struct file *f = fd_file(fd);
	struct socket *sock;

	if (!f)
		return;
	sock = BPF_CORE_READ(f, private_data);
	if (!sock)
		return;
	ev->arg1 = BPF_CORE_READ(sock, type);
	ev->arg2 = BPF_CORE_READ(sock, sk, sk_protocol);
	if (!ev->arg0)
		ev->arg0 = BPF_CORE_READ(sock, sk, __sk_common.skc_family);
}

SEC("tp/syscalls/sys_enter_connect")
int rp_mon_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	stash(RP_OP_CONNECT, RP_HOOK_TP_SYS_CONNECT, RP_VIS_NETWORK, ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tp/syscalls/sys_enter_bind")
int rp_mon_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	stash(RP_OP_BIND, RP_HOOK_TP_SYS_BIND, RP_VIS_NETWORK, ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tp/syscalls/sys_enter_accept")
int rp_mon_enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	stash(RP_OP_ACCEPT, RP_HOOK_TP_SYS_ACCEPT, RP_VIS_NETWORK, ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tp/syscalls/sys_enter_accept4")
int rp_mon_enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	stash(RP_OP_ACCEPT, RP_HOOK_TP_SYS_ACCEPT, RP_VIS_NETWORK, ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

static __always_inline int exit_net(long ret)
{
	struct rp_sys_args a;
	struct rp_scratch *s;

	if (!unstash(&a) || !(s = rp_scratch()))
		return 0;
	if (a.op != RP_OP_CONNECT && a.op != RP_OP_BIND && a.op != RP_OP_ACCEPT)
		return 0;
	rp_event_begin(s, RP_KIND_NETWORK, a.op, a.hook);
	s->ev.retval = ret;
	/* connect/bind: (fd, addr, len); accept: (fd, peer addr out, len ptr) → address valid
	 * after a successful accept, socket = the new fd. */
	if (a.op == RP_OP_ACCEPT) {
		if (ret >= 0) {
			read_sockaddr(&s->ev, (const void *)a.args[1]);
			read_sock(&s->ev, ret);
		} else {
			read_sock(&s->ev, a.args[0]);
		}
	} else {
		read_sockaddr(&s->ev, (const void *)a.args[1]);
		read_sock(&s->ev, a.args[0]);
	}
	set_source_exe(s, (struct task_struct *)bpf_get_current_task());
	rp_event_submit(s);
	return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int rp_mon_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	return exit_net(ctx->ret);
}

SEC("tp/syscalls/sys_exit_bind")
int rp_mon_exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	return exit_net(ctx->ret);
}

SEC("tp/syscalls/sys_exit_accept")
int rp_mon_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return exit_net(ctx->ret);
}

SEC("tp/syscalls/sys_exit_accept4")
int rp_mon_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return exit_net(ctx->ret);
}

/* ---- capabilities -------------------------------------------------------------------- */

/* capability:cap_capable exists from Linux 6.14 (the VM's 6.1 lacks it): user space disables
 * autoload of this program when the tracepoint is absent. Only checks of the task's own
 * credentials are interesting; denied checks (ret != 0) are reported as well. */
SEC("tp/capability/cap_capable")
int rp_mon_cap_capable(struct trace_event_raw_cap_capable *ctx)
{
	struct rp_scratch *s;

	if (!rp_monitored(RP_VIS_CAPABILITY) || !(s = rp_scratch()))
		return 0;
	rp_event_begin(s, RP_KIND_CAPABILITY, RP_OP_CAPABLE, RP_HOOK_TP_CAP_CAPABLE);
	s->ev.arg0 = ctx->cap;
	s->ev.retval = ctx->ret;
	set_source_exe(s, (struct task_struct *)bpf_get_current_task());
	rp_event_submit(s);
	return 0;
}
