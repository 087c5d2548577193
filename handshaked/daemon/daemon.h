/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's context and one handshake in flight (see main.c). */
#ifndef HSD_DAEMON_H
#define HSD_DAEMON_H

#include <stdatomic.h>

#include <stdbool.h>
#include <stdint.h>

#include "handshaked/daemon/config.h"
#include "handshaked/crypto/crypto.h"
#include "handshaked/tls/tls.h"
#include "handshaked/kernel/upcall.h"

/* credentials from the config file, parsed once, replaced on SIGHUP */
struct hsd_creds {
	unsigned int refs;		/* the daemon + handshakes using it */
	struct hsd_x509_store *client_trust, *server_trust;
	struct hsd_cert_chain client_chain, server_chain;
	struct hsd_pkey *client_key, *server_key;
};

int hsd_creds_load(const struct hsd_crypto *cr, const struct hsd_cfg *cfg,
		   struct hsd_creds **out, char *err, size_t errlen);
void hsd_creds_put(struct hsd_creds *c);

struct hsd_request;

/*
 * A certificate and private key lent with requests (ACCEPT's CERTIFICATE
 * and PRIVKEY serials: ktlsh.ko's applications, consumers' x509), parsed
 * once and shared by the handshakes that name the same payloads: parsing
 * a private key costs more than the handshake's own signature.
 */
#define HSD_KEYCRED_CACHE 8
struct hsd_keycred {
	int32_t cert, privkey;		/* serials; 0: an empty entry */
	/* SHA-256 of each payload: a key updated in place is another */
	uint8_t digest[2][32];
	struct hsd_cert_chain chain;
	struct hsd_pkey *key;
	unsigned int refs;		/* handshakes using it */
	uint64_t used_us;
};

struct hsd_daemon {
	struct hsd_cfg cfg;
	const char *cfg_path;
	struct hsd_crypto *crypto;
	/* X25519 key shares made while idle (NULL if that failed) */
	struct hsd_kex_pool *kex_pool;
	struct hsd_rand_pool *rand_pool;	/* NULL: none (mmap failed) */
	struct hsd_creds *creds;
	bool presign_off;		/* making ECDSA nonces ahead failed */
	/*
	 * Filling the pools failed: they stay (handshakes in flight hold
	 * them; empty, they make what they hand out on demand) but are
	 * filled no more when idle.
	 */
	bool kex_pool_off, rand_pool_off;
	/* kTLS has TLS_TX_MAX_PAYLOAD_LEN (found at start by trying it) */
	bool ktls_tx_max_payload;
	struct hsd_upcall *nl;
	/*
	 * The ktlsh module's family (applications' requests), NULL while it
	 * is not loaded; looked for again at most once a second.
	 */
	struct hsd_kh *kh;
	uint64_t kh_looked_us;
	/* keyrings a server searches for PSKs when ACCEPT names none */
	int32_t rings[3 + HSD_CFG_KEYRINGS_MAX];
	size_t n_rings;
	uint64_t linked_us;		/* when they were last looked up */
	int epfd;
	int verbose;
	bool syslog;
	bool stopping;
	/* takes requests from the kernel on a thread of its own */
	struct hsd_acceptor *acceptor;
	/* requests taken and not finished (queued or in flight) */
	atomic_uint taken;
	/*
	 * Handshakes in flight: a pool of cap_req slots made at start (the
	 * acceptor never takes more than that). A slot keeps its index
	 * while in use; its generation, bumped when it is freed, travels
	 * with the index in the socket's epoll data (hsd_request_key), so an
	 * event finds its handshake at once, and one meant for a slot freed
	 * and reused within the same epoll batch is dropped. live[0..n_req)
	 * lists the slots in use, free_slots[0..n_free) the others.
	 */
	struct hsd_request **req;
	uint32_t *req_gen;
	unsigned int *live, *free_slots;
	unsigned int n_req, n_free, cap_req;
	uint64_t served, failed;
	uint64_t idle_said;		/* served + failed + 1 at the last idle line */
	struct hsd_keycred keycred[HSD_KEYCRED_CACHE];
};

uint64_t hsd_now_us(void);
/* creds.c: (re)link the named and configured keyrings into ours, note them */
void hsd_link_keyrings(struct hsd_daemon *d);
/* privileges.c: keep CAP_NET_ADMIN only; 0 or -errno */
int hsd_drop_privileges(struct hsd_daemon *d);
/* ahead.c: what is made before it is needed */
void hsd_ahead_init(struct hsd_daemon *d);
void hsd_ahead_free(struct hsd_daemon *d);
void hsd_warm_up(struct hsd_daemon *d);
bool hsd_ahead_pending(const struct hsd_daemon *d);
void hsd_ahead_step(struct hsd_daemon *d);
void hsd_ahead_said_idle(struct hsd_daemon *d);
void hsd_log(const struct hsd_daemon *d, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* epoll data of the loop's own fds; a handshake's is HSD_EV_REQUEST | gen | slot */
#define HSD_EV_ACCEPTOR 1ULL
#define HSD_EV_SIGNAL 2ULL
#define HSD_EV_REQUEST (1ULL << 63)

/* agent.c: the lent credentials parsed so far, dropped (at exit) */
void hsd_keycred_clear(struct hsd_daemon *d);
/* agent.c: the pool of @cap slots (0 or -ENOMEM), and its end */
int hsd_request_pool_init(struct hsd_daemon *d, unsigned int cap);
void hsd_request_pool_free(struct hsd_daemon *d);
/*
 * Start the handshake ACCEPT handed us: the socket goes into @d's epoll
 * set. On failure the request is answered (DONE) and its fd closed.
 */
int hsd_request_start(struct hsd_daemon *d, const struct hsd_accept *a);
/*
 * Answer a request that gets no handshake (malformed, daemon stopping,
 * no memory) with DONE @err, and close its socket.
 */
void hsd_request_refuse(struct hsd_daemon *d, const struct hsd_accept *a, int err,
		   const char *why);
/* an epoll event whose data is @key (HSD_EV_REQUEST...): stale ones are dropped */
void hsd_request_on_event(struct hsd_daemon *d, uint64_t key);
/* end the handshakes whose deadline has passed */
void hsd_request_expire(struct hsd_daemon *d);
/*
 * The acceptor (acceptor.c): READY and ACCEPT on its own thread and @nl
 * (which it owns from here), taken requests queued for the loop, whose
 * epoll watches hsd_acceptor_fd(). Started after the fork and the
 * capability drop: threads inherit both.
 */
struct hsd_acceptor;
int hsd_acceptor_start(struct hsd_daemon *d, struct hsd_upcall *nl,
		       struct hsd_acceptor **out);
int hsd_acceptor_fd(const struct hsd_acceptor *a);
/*
 * Requests taken and not started: *first..[n), read in place (each is
 * copied into its slot when started), then released; 0 when none.
 */
unsigned int hsd_acceptor_peek(struct hsd_acceptor *a,
			       struct hsd_accept **first);
void hsd_acceptor_release(struct hsd_acceptor *a, unsigned int n);
/* no more requests taken: the thread ends (what it queued stays) */
void hsd_acceptor_stop(struct hsd_acceptor *a);
/* ACCEPTs the kernel answered -EAGAIN (it had no request left) */
uint64_t hsd_acceptor_empty(const struct hsd_acceptor *a);
void hsd_acceptor_free(struct hsd_acceptor *a);

/* fail every handshake in flight (SIGTERM) */
void hsd_request_fail_all(struct hsd_daemon *d, int err, const char *why);
/* ms until the earliest deadline (-1: none) */
int hsd_request_next_deadline(struct hsd_daemon *d);

#endif
