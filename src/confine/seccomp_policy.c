/*
 * The two reviewed policy lists behind `seccomp = default` and
 * `seccomp = strict`, as data. Every name must be in the syscall table
 * (tests/unit/test_confine.c checks it); order does not matter, the
 * builder sorts by number. Change a list with a comment that says who
 * needs the call, or why nobody should have it.
 */
#include <stddef.h>

#include "confine/confine.h"

/*
 * `default`: what a network server has no business doing once herd has set
 * it up. Everything else is allowed.
 */
const char *const confine_seccomp_default_deny[] = {
	/* Kernel modules: code into the kernel. */
	"init_module", "finit_module", "delete_module", "create_module",
	"get_kernel_syms", "query_module",
	/* Replacing or stopping the kernel. */
	"kexec_load", "kexec_file_load", "reboot",
	/* Swap. */
	"swapon", "swapoff",
	/* Mounts: herd builds the worker's mounts before the filter. */
	"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
	"fsconfig", "fsmount", "fspick", "mount_setattr",
	/* Namespaces: herd creates them at clone; a worker has no need. */
	"setns", "unshare",
	/* Other processes' memory and registers. */
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	/* Kernel attack surface servers do not use. */
	"bpf", "perf_event_open", "userfaultfd", "lookup_dcookie",
	/* The kernel keyring. */
	"keyctl", "add_key", "request_key",
	/* personality(2) changes the ABI (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE). */
	"personality",
	/* Handles to files by inode number: the classic container escape. */
	"open_by_handle_at",
	/* Machine-wide settings: clock, accounting, quotas, I/O ports. */
	"acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"iopl", "ioperm", "quotactl", "syslog", "sethostname", "setdomainname",
	"vhangup",
	/* Obsolete or never implemented: no program today needs them. */
	"uselib", "_sysctl", "ustat", "sysfs", "nfsservctl", "getpmsg", "putpmsg",
	"afs_syscall", "tuxcall", "security", "vserver", "remap_file_pages",
	NULL,
};

/*
 * `strict`: the calls typical servers make at run time — glibc and musl
 * start-up and threads, CPython's http.server and asyncio, Ruby (puma),
 * Node (libuv), Go's runtime and net/http, herd's own HTTP worker — and
 * nothing else. io_uring is left out on purpose: its operations run without
 * passing through seccomp, so allowing it would allow everything.
 */
const char *const confine_seccomp_strict_allow[] = {
	/* The hot path of a keep-alive request (first in mind, not in cost:
	 * the filter is a binary search). */
	"read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg",
	"sendmsg", "recvmmsg", "sendmmsg", "accept", "accept4", "epoll_wait",
	"epoll_pwait", "epoll_pwait2", "epoll_ctl", "epoll_create",
	"epoll_create1", "poll", "ppoll", "select", "pselect6", "close",
	"shutdown", "sendfile", "splice", "futex",
	/* Sockets. */
	"socket", "socketpair", "bind", "listen", "connect", "getsockname",
	"getpeername", "setsockopt", "getsockopt",
	/* Files (servers read their code and static files, write uploads,
	 * logs and caches). */
	"open", "openat", "openat2", "creat", "stat", "fstat", "lstat",
	"newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat",
	"faccessat2", "lseek", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "copy_file_range", "getdents", "getdents64",
	"readlink", "readlinkat", "getcwd", "chdir", "fchdir", "mkdir",
	"mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat",
	"renameat2", "link", "linkat", "symlink", "symlinkat", "chmod",
	"fchmod", "fchmodat", "umask", "truncate", "ftruncate", "fallocate",
	"fsync", "fdatasync", "flock", "fadvise64", "utimensat", "ioctl",
	"fcntl", "dup", "dup2", "dup3", "pipe", "pipe2", "close_range",
	"inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"memfd_create", "eventfd", "eventfd2", "signalfd", "signalfd4",
	"timerfd_create", "timerfd_settime", "timerfd_gettime",
	/* Memory. */
	"brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "msync",
	"mincore", "membarrier",
	/* Signals (Go preempts threads with tgkill; Ruby and Node use
	 * signal handlers on an alternate stack). */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	"rt_sigtimedwait", "rt_sigsuspend", "sigaltstack", "kill", "tkill",
	"tgkill", "pause", "restart_syscall",
	/* Threads and processes: glibc >= 2.34 creates threads with clone3
	 * and registers rseq; posix_spawn uses clone(CLONE_VFORK). */
	"clone", "clone3", "fork", "vfork", "execve", "execveat", "exit",
	"exit_group", "wait4", "waitid", "set_tid_address", "set_robust_list",
	"get_robust_list", "rseq", "arch_prctl", "prctl", "pidfd_open",
	"pidfd_send_signal", "setpgid", "setsid", "sched_yield",
	"sched_getaffinity", "sched_setaffinity", "sched_getparam",
	"sched_getscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "getcpu",
	/* Time (vDSO first, these as the fallback) and timers (Go's
	 * profiler, CPython's faulthandler). */
	"clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday",
	"time", "nanosleep", "alarm", "getitimer", "setitimer", "timer_create",
	"timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
	/* Identity and limits, read-only or lowering (Go raises its soft
	 * RLIMIT_NOFILE up to the hard one at start). */
	"getpid", "getppid", "gettid", "getuid", "geteuid", "getgid",
	"getegid", "getgroups", "getresuid", "getresgid", "getpgid", "getpgrp",
	"getsid", "capget", "uname", "sysinfo", "times", "getrusage",
	"getrlimit", "setrlimit", "prlimit64", "getpriority", "getrandom",
	NULL,
};
