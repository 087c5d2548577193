/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's `handshake` generic-netlink family (net/handshake, 6.4+):
 * READY notifications on group "tlshd", ACCEPT to take a request (a socket
 * and what to do with it), DONE to report. doc/KERNEL-ABI.md §1.
 */
#ifndef HSD_UPCALL_H
#define HSD_UPCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HSD_PEERIDS_MAX 5
#define HSD_PEERNAME_MAX 256

/* one ACCEPT reply */
struct hsd_accept {
	int sockfd;			/* ours now; -1 if absent */
	uint32_t handler_class;
	uint32_t message_type;		/* HANDSHAKE_MSG_TYPE_* */
	uint32_t timeout_ms;		/* 0: not given */
	uint32_t auth_mode;		/* HANDSHAKE_AUTH_* */
	int32_t peerids[HSD_PEERIDS_MAX];	/* PSK key serials, in order */
	size_t n_peerids;
	int32_t cert;			/* DER certificate key serial, 0: none */
	int32_t privkey;		/* DER private key serial */
	char peername[HSD_PEERNAME_MAX];	/* "": none */
	int32_t keyring;		/* 0: none (before 6.17) */
	unsigned int ignored;		/* attributes of ids we do not know */
	uint64_t taken_us;		/* when ACCEPT answered (daemon clock) */
	bool malformed;			/* the reply could not be parsed */
};

/*
 * Decode the attributes of an ACCEPT reply (@p, @len: the bytes after the
 * genetlink header) by id: repeated PEER_IDENTITY kept in order (at most
 * five), the first CERTIFICATE nest used, unknown ids counted and skipped.
 * -EINVAL on a malformed attribute stream or a wrong-sized value.
 */
int hsd_accept_parse(const uint8_t *p, size_t len, struct hsd_accept *a);

struct hsd_upcall;

/*
 * Resolve family "handshake" and group "tlshd" by name and join the group.
 * -ENOENT: this kernel has no handshake family (CONFIG_NET_HANDSHAKE).
 */
int hsd_upcall_open(struct hsd_upcall **out);
/* the command socket only (DONE), not joined to READY */
int hsd_upcall_open_cmd(struct hsd_upcall **out);
void hsd_upcall_close(struct hsd_upcall *u);
/* the multicast socket, readable when READY notifications arrive */
int hsd_upcall_fd(const struct hsd_upcall *u);
/* read and drop pending notifications: 1 if a READY came, else 0 */
int hsd_upcall_drain(struct hsd_upcall *u);
#define HSD_ACCEPT_BATCH_MAX 32
/*
 * Take requests: up to @n (at most HSD_ACCEPT_BATCH_MAX) ACCEPTs in one write, their answers read together: status[i] is
 * 0 (a[i] filled), -EAGAIN (none waited), -EBADMSG (a malformed reply whose
 * a[i].sockfd is ours to answer and close) or another -errno. Returns 0, or
 * -errno if the exchange itself failed.
 */
int hsd_upcall_accept_batch(struct hsd_upcall *u, struct hsd_accept *a,
			    int *status, unsigned int n);
/*
 * Report @status (0 or a positive errno) for @sockfd with up to five
 * REMOTE_AUTH serials; waits for the kernel's answer (NLM_F_ACK), which
 * is returned (0 or -errno).
 */
int hsd_upcall_done(struct hsd_upcall *u, int sockfd, unsigned int status,
		    const int32_t *remote_auth, size_t n);

#endif
