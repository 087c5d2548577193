/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space side of the ktlsh generic-netlink family (kmod/ktlsh.ko,
 * uapi/ktlsh.yaml): an application hands its connected TCP socket to the
 * kernel's handshake upcall and gets it back with kTLS keys installed,
 * never holding them; the daemon asks for an application's parameters.
 *
 * Raw netlink, no libnl: a request's reply and the asynchronous
 * HANDSHAKE-DONE events share one socket, and an event may arrive before
 * the reply to the HANDSHAKE that caused it. Events read while waiting
 * for a reply are kept for hsd_kh_next().
 */
#ifndef HSD_KTLSH_NL_H
#define HSD_KTLSH_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hsd_ktlsh_info {
	char version[32];
	uint32_t handshake_version;
};

/*
 * Ask the loaded ktlsh module for its version (KTLSH_CMD_GET_INFO).
 * 0 and @out filled; -ENOENT if the family is absent (module not loaded),
 * -EPROTO on a malformed reply, other -errno from netlink.
 */
int hsd_ktlsh_get_info(struct hsd_ktlsh_info *out);

#define HSD_KH_ALPN_MAX 8
#define HSD_KH_PEERIDS_MAX 5

/* what an application asks for (HANDSHAKE) */
struct hsd_kh_params {
	uint32_t role;			/* KTLSH_ROLE_* */
	uint32_t auth;			/* KTLSH_AUTH_* */
	const char *peername;		/* NULL: none */
	uint32_t timeout_ms;		/* 0: the module's default */
	int32_t cert, privkey;		/* key serials, 0: the daemon's */
	int32_t peerids[HSD_KH_PEERIDS_MAX];
	size_t n_peerids;
	int32_t keyring;		/* 0: none */
	uint16_t version_min, version_max;	/* 0: TLS 1.2 .. 1.3 */
	const char *alpn[HSD_KH_ALPN_MAX];
	size_t n_alpn;
	const char *cipher_policy;	/* NULL: the daemon's */
};

/* how a request ended (HANDSHAKE-DONE) */
struct hsd_kh_result {
	uint32_t id;
	int sockfd;			/* as the requester named it */
	int status;			/* 0 or -errno */
	int32_t peer_auth;		/* 0: none */
	uint16_t tls_version;		/* 0: no kTLS state */
	uint16_t cipher;		/* TLS_CIPHER_* */
	char alpn[256];			/* "": none */
};

/* what the daemon learns of an application's request (GET-PARAMS) */
struct hsd_kh_app {
	uint32_t id;
	uint32_t role, auth;
	char peername[256];
	uint32_t timeout_ms;
	uint16_t version_min, version_max;
	char alpn[HSD_KH_ALPN_MAX][256];
	size_t n_alpn;
	char cipher_policy[256];
	int32_t keyring;		/* the application's, 0: none */
	uint32_t uid;
};

struct hsd_kh_stats {
	uint64_t submitted, completed, failed, cancelled, timed_out;
	uint64_t refused, notify_failed;
	uint32_t queued, in_flight;
	uint32_t objects;		/* request objects held (all namespaces) */
	struct { int32_t status; uint64_t count; } by_status[16];
	size_t n_by_status;
};

/* one request in flight (GET-REQUEST dump) */
struct hsd_kh_entry {
	uint32_t id, state, role, auth, timeout_ms, uid, portid;
	uint64_t cookie;
	char peername[256];
};

struct hsd_kh;

/* a ktlsh socket: -ENOENT if the module is not loaded */
int hsd_kh_open(struct hsd_kh **out);
void hsd_kh_close(struct hsd_kh *h);
/* readable (POLLIN) when a HANDSHAKE-DONE may be waiting */
int hsd_kh_fd(const struct hsd_kh *h);
/*
 * HANDSHAKE for socket @fd: 0 and *@id, or the module's -errno with its
 * reason (extack) in @why when given.
 */
int hsd_kh_submit(struct hsd_kh *h, int fd, const struct hsd_kh_params *p,
		  uint32_t *id, char *why, size_t why_len);
/* a HANDSHAKE-DONE without blocking: 1 (filled), 0 (none yet) or -errno */
int hsd_kh_next(struct hsd_kh *h, struct hsd_kh_result *r);
/*
 * Events already read (while a reply was awaited) and kept: the fd does
 * not poll readable for them, so a caller that polls asks this after any
 * call that talks to the module.
 */
bool hsd_kh_pending(const struct hsd_kh *h);
/*
 * Did the socket's receive buffer overflow since the last call (ENOBUFS:
 * the kernel dropped messages, HANDSHAKE-DONE events among them)? Then
 * requests may have ended unheard: hsd_kh_dump() lists those still in
 * flight.
 */
bool hsd_kh_take_overrun(struct hsd_kh *h);
/* CANCEL by id: 0, -ENOENT (ended already), other -errno */
int hsd_kh_cancel(struct hsd_kh *h, uint32_t id);
int hsd_kh_get_stats(struct hsd_kh *h, struct hsd_kh_stats *s);
/* the requests in flight this sender may see: @cb per entry */
int hsd_kh_dump(struct hsd_kh *h,
		void (*cb)(const struct hsd_kh_entry *e, void *arg), void *arg);

/*
 * daemon: the application's parameters for ACCEPT's @sockfd; -ENOENT:
 * not an application's request; -ENODEV: the family is gone (unloaded)
 */
int hsd_kh_get_params(struct hsd_kh *h, int sockfd, struct hsd_kh_app *out);
/* daemon: what the handshake on @sockfd agreed (before DONE) */
int hsd_kh_report(struct hsd_kh *h, int sockfd, const char *alpn);

/*
 * The whole exchange, blocking: hand @fd over and wait for its end (at
 * most the request's timeout and a margin). 0 with @r filled (r->status
 * says how the handshake went), or -errno if the request was refused.
 */
int hsd_kernel_handshake(int fd, const struct hsd_kh_params *p,
			 struct hsd_kh_result *r, char *why, size_t why_len);

/*
 * The decoders of the module's messages (a whole netlink message of @len
 * bytes), for the fuzzer: 0, or -EPROTO for a malformed one.
 */
int hsd_kh_decode_done(const void *msg, size_t len, struct hsd_kh_result *r);
int hsd_kh_decode_params(const void *msg, size_t len, struct hsd_kh_app *a);
int hsd_kh_decode_stats(const void *msg, size_t len, struct hsd_kh_stats *s);

/* "TLS_AES_128_GCM_SHA256"-style name of a kTLS cipher type, or NULL */
const char *hsd_kh_cipher_name(uint16_t cipher, uint16_t version);

#endif
