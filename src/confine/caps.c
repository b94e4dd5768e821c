/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capabilities: the names of capabilities(7), parsing a list of them, and
 * bringing a child's sets down to exactly that list.
 *
 * A worker keeps exactly the listed capabilities in its bounding,
 * permitted, effective, inheritable and ambient sets, and nothing else.
 * The ambient set is what carries them across execve(2) for a program
 * that is neither setuid nor has file capabilities, whatever its uid. The
 * securebits are locked so that nothing brings the rest back: uid 0 gets
 * no capabilities from exec (SECBIT_NOROOT) and a setuid-root program no
 * more than its caller.
 *
 * The child side runs between fork and exec: raw system calls only, no
 * allocation. Everything it needs (the mask, the highest capability the
 * kernel knows) is computed in the parent.
 */
#include "confine/confine.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cap_names[] = {
	"chown",
	"dac_override",
	"dac_read_search",
	"fowner",
	"fsetid",
	"kill",
	"setgid",
	"setuid",
	"setpcap",
	"linux_immutable",
	"net_bind_service",
	"net_broadcast",
	"net_admin",
	"net_raw",
	"ipc_lock",
	"ipc_owner",
	"sys_module",
	"sys_rawio",
	"sys_chroot",
	"sys_ptrace",
	"sys_pacct",
	"sys_admin",
	"sys_boot",
	"sys_nice",
	"sys_resource",
	"sys_time",
	"sys_tty_config",
	"mknod",
	"lease",
	"audit_write",
	"audit_control",
	"setfcap",
	"mac_override",
	"mac_admin",
	"syslog",
	"wake_alarm",
	"block_suspend",
	"audit_read",
	"perfmon",
	"bpf",
	"checkpoint_restore",
};

#define NCAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

const char *
confine_cap_name(int cap)
{
	return cap >= 0 && cap < NCAPS ? cap_names[cap] : NULL;
}

int
confine_cap_number(const char *name, size_t len)
{
	int i;

	if (len > 4 && strncasecmp(name, "cap_", 4) == 0) {
		name += 4;
		len -= 4;
	}
	for (i = 0; i < NCAPS; i++)
		if (strlen(cap_names[i]) == len &&
		    strncasecmp(cap_names[i], name, len) == 0)
			return i;
	return -ENOENT;
}

int
confine_caps_parse(const char *list, uint64_t *mask, char *err, size_t errlen)
{
	const char *p = list;

	*mask = 0;
	if (strcasecmp(list, "none") == 0)
		return 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		int cap;

		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		cap = len > 0 ? confine_cap_number(p, len) : -EINVAL;
		if (cap < 0) {
			snprintf(err, errlen,
				 "unknown capability \"%.*s\" (names as in "
				 "capabilities(7), such as net_bind_service, "
				 "or none)",
				 (int)len, p);
			return -EINVAL;
		}
		*mask |= 1ULL << cap;
		p += strcspn(p, ",");
		if (*p == '\0')
			return 0;
		p++;
	}
}

void
confine_caps_format(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	if (mask == 0) {
		snprintf(buf, len, "none");
		return;
	}
	for (i = 0; i < NCAPS && off < len; i++)
		if (mask & (1ULL << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
						off ? "," : "", cap_names[i]);
}

int
confine_cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f != NULL) {
		if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

bool
confine_caps_have(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* Child side. */
int
confine_caps_before_creds(const struct confine_plan *p)
{
	unsigned long bits = SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_SETUID_FIXUP |
			     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NOROOT |
			     SECBIT_NOROOT_LOCKED;
	int cap;

	if (!p->caps_set || !p->setpcap)
		return 0; /* unprivileged: nothing to drop that exec could use
			   */
	/*
	 * The bounding set first: dropping needs CAP_SETPCAP, which the
	 * worker is about to lose. Then the securebits: NO_SETUID_FIXUP keeps
	 * setuid() from clearing the sets before capset() narrows them
	 * itself; NOROOT takes away what exec would give uid 0.
	 */
	for (cap = 0; cap <= p->cap_last; cap++)
		if (!(p->caps & (1ULL << cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* Child side, after setuid: exactly the list, in every set. */
int
confine_caps_after_creds(const struct confine_plan *p)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	int i, cap;

	if (!p->caps_set)
		return 0;
	for (i = 0; i < 2; i++) {
		uint32_t word = (uint32_t)(p->caps >> (32 * i));

		d[i].effective = d[i].permitted = d[i].inheritable = word;
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
	for (cap = 0; cap <= p->cap_last; cap++)
		if ((p->caps & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -errno;
	return 0;
}
