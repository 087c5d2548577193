/* SPDX-License-Identifier: GPL-2.0 */
/* Probes of optional kernel features, by trying them (not by version). */
#ifndef HSD_PROBE_H
#define HSD_PROBE_H

/*
 * Connected TCP pair over 127.0.0.1 (an ephemeral listener is opened and
 * closed). On success fds[0] is the client end, fds[1] the accepted end.
 * Returns 0 or -errno.
 */
int hsd_tcp_loopback_pair(int fds[2]);

/*
 * Can a connected TCP socket take the "tls" upper-layer protocol?
 * 0 if so; -ENOENT when the tls module is absent or cannot be loaded, other
 * -errno as setsockopt() reports it.
 */
int hsd_probe_ulp_tls(void);

/*
 * Resolve a generic-netlink family and one of its multicast groups by name.
 * 0 with *family_id / *group_id set (either pointer may be NULL);
 * -ENOENT if the family is absent, -ESRCH if it lacks the group,
 * other -errno on netlink failure.
 */
int hsd_probe_genl(const char *family, const char *group, int *family_id,
		   int *group_id);

/* Text for a probe result: "present" or the reason it failed. */
const char *hsd_probe_strerror(int err);

#endif
