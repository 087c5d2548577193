/* SPDX-License-Identifier: GPL-2.0 */
/* Options shared by ktlsh client and ktlsh server. */
#ifndef KTLSH_TLSOPTS_H
#define KTLSH_TLSOPTS_H

#include "handshaked/tls/tls.h"

#define MAX_LIST 32

struct tls_opts {
	struct hsd_crypto *cr;
	struct hs_config cfg;
	uint16_t suites[MAX_LIST];
	uint16_t groups[MAX_LIST];
	uint8_t alpn[256];
	struct hsd_cert_chain chain;
	struct hsd_x509_store *trust;
	struct hs_psk psks[HS_MAX_PSKS];
	size_t n_psks;
	const char *ca, *cert, *key, *sess_in, *sess_out, *keylog_path;
	const char *psk_identity, *psk_key;
	FILE *keylog;
	bool keyupdate;
	bool tickets_set;	/* --tickets N given (0: none) */
	/* the handshake's deadline from the connection, ms (0: none) */
	unsigned int timeout_ms;
	bool no_ktls;
	bool no_pad;
	bool verify_client;
	bool insecure;
	struct hs_session resume;
	struct hs_ticket_keys *tickets;
	struct hs_session_cache *cache;
	/* tls_opts_rand_pool(): random bytes for one thread's connections */
	struct hsd_rand_pool *rand_pool;
	/* server */
	int port;
	bool echo, www, once;
	bool quiet;	/* no line per connection (errors still) */
	const char *send_file;
};

/* Parse one option at argv[*i]; 1 if taken, 0 if not ours, -1 on error. */
int tls_opt(struct tls_opts *o, int argc, char **argv, int *i);
/* Load credentials and fill o->cfg; prints the reason and -errno on error. */
int tls_opts_finish(struct tls_opts *o, enum hs_role role);
void tls_opts_free(struct tls_opts *o);
/*
 * For a command whose connections all run on one thread: their random
 * bytes (randoms, key shares' private keys) from a page drawn from
 * libcrypto a page at a time, not a libcrypto call each. 0 or -errno.
 */
int tls_opts_rand_pool(struct tls_opts *o);
void tls_opts_usage(FILE *f);
/* one more ALPN protocol we speak (RFC 7301), in order: 0 or -1 */
int tls_opts_add_alpn(struct tls_opts *o, const char *name);

/*
 * A TCP connection to "HOST:PORT" ("[v6]:PORT"): the fd or -errno; the
 * host part into @host (@cap) when given.
 */
int tls_connect(const char *hostport, char *host, size_t cap);

/* a positive number of at most @max from @v, else -1 */
long opt_number(const char *v, long max);

/* Save the connection's session to --sess-out (client). */
void tls_save_session(struct tls_opts *o, struct hs_conn *c);

/* Report a failed connection on stderr: one line naming the alert. */
void tls_report(const char *who, struct hs_conn *c, int err);

int cmd_client(int argc, char **argv, struct hsd_crypto *cr);
int cmd_server(int argc, char **argv, struct hsd_crypto *cr);
int cmd_serve(int argc, char **argv, struct hsd_crypto *cr);
int cmd_bench(int argc, char **argv, struct hsd_crypto *cr);
int cmd_kernel_handshake(int argc, char **argv);
int cmd_stat(int argc, char **argv);

#endif
