// SPDX-License-Identifier: GPL-2.0
/*
 * What the daemon keeps of root: CAP_NET_ADMIN (ACCEPT and DONE need
 * it), and a real-time priority limit for the acceptor thread.
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "handshaked/daemon/daemon.h"

/*
 * Real-time priority 1 allowed without a capability (RLIMIT_RTPRIO), for
 * the acceptor thread only (acceptor.c); raising the hard limit needs
 * CAP_SYS_RESOURCE, so it is done before the drop. Under systemd the
 * unit's LimitRTPRIO=1 does this.
 */
static void allow_rt_priority(const struct hsd_daemon *d)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_RTPRIO, &rl) || rl.rlim_cur >= 1)
		return;
	rl.rlim_cur = 1;
	if (rl.rlim_max < 1)
		rl.rlim_max = 1;
	if (setrlimit(RLIMIT_RTPRIO, &rl))
		hsd_log(d, LOG_DEBUG, "handshaked: RLIMIT_RTPRIO: %s",
			strerror(errno));
}

/*
 * Keep only CAP_NET_ADMIN: bounding set, then effective and permitted
 * (capset, no libcap), and no new privileges through exec.
 */
int hsd_drop_privileges(struct hsd_daemon *d)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[2] = { 0 };
	int cap;

	if (geteuid())
		return 0;	/* not root: nothing to give up */
	allow_rt_priority(d);
	for (cap = 0; cap <= 63; cap++) {
		if (cap == CAP_NET_ADMIN)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	}
	c[0].effective = c[0].permitted = 1U << CAP_NET_ADMIN;
	if (syscall(SYS_capset, &h, c))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	hsd_log(d, LOG_DEBUG, "handshaked: capabilities reduced to CAP_NET_ADMIN");
	return 0;
}
