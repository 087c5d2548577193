/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The handshaked TLS engine: sans-I/O TLS 1.3 (RFC 8446) and TLS 1.2
 * (RFC 5246). Bytes in, bytes out, no syscalls.
 *
 *   hs_conn_new(cfg)      one connection, client or server
 *   hs_start()            client: queue the ClientHello
 *   hs_input(in, n, &used) feed wire bytes; consumes whole records only and
 *                         stops exactly after the record that completed the
 *                         handshake, so bytes meant for the record layer
 *                         (kTLS) are never swallowed
 *   hs_output()/hs_output_consumed()  bytes to send
 *   hs_is_done()          keys ready: hs_traffic() hands out what kTLS needs
 *   hs_error()            sticky: the alert sent and a text reason
 *
 * Returns are 0 or -errno throughout; the first failure latches an alert
 * that is queued for the peer (RFC 8446 6, RFC 5246 7.2).
 */
#ifndef HS_TLS_H
#define HS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handshaked/crypto/crypto.h"

#define HS_TLS12 0x0303
#define HS_TLS13 0x0304

/*
 * RFC 8446 5.1 ContentType: what a record carries (kTLS reports it per
 * record received, and takes it per record sent)
 */
enum hs_content_type {
	HS_CT_CHANGE_CIPHER_SPEC = 20,
	HS_CT_ALERT = 21,
	HS_CT_HANDSHAKE = 22,
	HS_CT_APPLICATION_DATA = 23,
};

enum hs_role {
	HS_CLIENT = 1,
	HS_SERVER = 2,
};

/* RFC 8446 6 / RFC 5246 7.2 AlertDescription */
enum hs_alert {
	HS_ALERT_CLOSE_NOTIFY = 0,
	HS_ALERT_UNEXPECTED_MESSAGE = 10,
	HS_ALERT_BAD_RECORD_MAC = 20,
	HS_ALERT_RECORD_OVERFLOW = 22,
	HS_ALERT_HANDSHAKE_FAILURE = 40,
	HS_ALERT_BAD_CERTIFICATE = 42,
	HS_ALERT_UNSUPPORTED_CERTIFICATE = 43,
	HS_ALERT_CERTIFICATE_REVOKED = 44,
	HS_ALERT_CERTIFICATE_EXPIRED = 45,
	HS_ALERT_CERTIFICATE_UNKNOWN = 46,
	HS_ALERT_ILLEGAL_PARAMETER = 47,
	HS_ALERT_UNKNOWN_CA = 48,
	HS_ALERT_ACCESS_DENIED = 49,
	HS_ALERT_DECODE_ERROR = 50,
	HS_ALERT_DECRYPT_ERROR = 51,
	HS_ALERT_PROTOCOL_VERSION = 70,
	HS_ALERT_INSUFFICIENT_SECURITY = 71,
	HS_ALERT_INTERNAL_ERROR = 80,
	HS_ALERT_INAPPROPRIATE_FALLBACK = 86,
	HS_ALERT_USER_CANCELED = 90,
	HS_ALERT_NO_RENEGOTIATION = 100,
	HS_ALERT_MISSING_EXTENSION = 109,
	HS_ALERT_UNSUPPORTED_EXTENSION = 110,
	HS_ALERT_UNRECOGNIZED_NAME = 112,
	HS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
	HS_ALERT_UNKNOWN_PSK_IDENTITY = 115,
	HS_ALERT_CERTIFICATE_REQUIRED = 116,
	HS_ALERT_NO_APPLICATION_PROTOCOL = 120,
};

const char *hs_alert_name(uint8_t alert);
/* -errno for an alert (negated, it is the upcall's DONE status) */
int hs_alert_errno(uint8_t alert);

/* Cipher suites (IANA TLS Cipher Suites registry) */
enum hs_suite_id {
	HS_TLS_AES_128_GCM_SHA256 = 0x1301,
	HS_TLS_AES_256_GCM_SHA384 = 0x1302,
	HS_TLS_CHACHA20_POLY1305_SHA256 = 0x1303,
	HS_TLS_AES_128_CCM_SHA256 = 0x1304,
	HS_ECDHE_ECDSA_AES_128_GCM_SHA256 = 0xc02b,
	HS_ECDHE_ECDSA_AES_256_GCM_SHA384 = 0xc02c,
	HS_ECDHE_RSA_AES_128_GCM_SHA256 = 0xc02f,
	HS_ECDHE_RSA_AES_256_GCM_SHA384 = 0xc030,
	HS_ECDHE_ECDSA_CHACHA20_POLY1305 = 0xcca9,
	HS_ECDHE_RSA_CHACHA20_POLY1305 = 0xcca8,
	HS_ECDHE_ECDSA_AES_128_CCM = 0xc0ac,
	HS_DHE_RSA_AES_128_GCM_SHA256 = 0x009e,
	HS_RSA_AES_128_GCM_SHA256 = 0x009c,
	HS_RSA_AES_256_GCM_SHA384 = 0x009d,
};

enum hs_kx {
	HS_KX_TLS13,	/* any group, any authentication */
	HS_KX_ECDHE,
	HS_KX_DHE,
	HS_KX_RSA,
};

enum hs_auth {
	HS_AUTH_ANY,	/* TLS 1.3 */
	HS_AUTH_ECDSA,
	HS_AUTH_RSA,
};

struct hs_suite {
	uint16_t id;
	const char *name;	/* IANA name */
	uint16_t version;	/* HS_TLS13 or HS_TLS12 */
	enum hs_kx kx;
	enum hs_auth auth;
	enum hsd_aead_id aead;
	enum hsd_hash_id hash;
};

const struct hs_suite *hs_suite_find(uint16_t id);
const struct hs_suite *hs_suite_by_name(const char *name);
/* all suites we implement, in our default preference order */
const struct hs_suite *hs_suite_at(size_t i);

/* An external PSK (RFC 8446 4.2.11), e.g. an NVMe/TCP retained PSK. */
struct hs_psk {
	uint8_t identity[256];
	size_t identity_len;
	uint8_t key[64];
	size_t key_len;
	enum hsd_hash_id hash;
	/* suite the PSK is bound to, 0: any with its hash */
	uint16_t suite;
	/* opaque to the engine, e.g. a key serial to report */
	uint32_t tag;
};

/*
 * An NVMe/TCP identity ("NVMe1R02 <hostnqn> <subnqn> <digest>") fixes the
 * PSK's hash and suite: sets them and returns 0; -ENOENT if @p is not an
 * NVMe identity; -EINVAL if the hash is unknown or the key size wrong.
 */
int hs_psk_nvme_params(struct hs_psk *p);

/*
 * Server: find the PSK for an identity. Fills @out and returns 0, or
 * -ENOKEY when unknown. Called once per offered identity, in order.
 */
typedef int (*hs_psk_lookup_fn)(void *arg, const uint8_t *identity,
				size_t len, struct hs_psk *out);

/* NSS key log line (SSLKEYLOGFILE), e.g. to append to a file. */
typedef void (*hs_keylog_fn)(void *arg, const char *line);

/* Test hooks: deterministic randomness and ephemeral keys (KATs only). */
struct hs_test_hooks {
	int (*random)(void *arg, uint8_t *p, size_t n);
	/* X25519 private key to use instead of a fresh one */
	const uint8_t *x25519_private;
	/*
	 * Every handshake message we send (header + body, @cap bytes of room),
	 * after our transcript took it and before it is sealed: negative
	 * tests rewrite it, seed generators copy it.
	 */
	void (*tamper)(void *arg, uint8_t *msg, size_t *len, size_t cap);
	/*
	 * Known-answer tests: send exactly this first ClientHello message
	 * (header included) instead of the one built. It must carry the same
	 * random and key share the hooks above produce.
	 */
	const uint8_t *client_hello;
	size_t client_hello_len;
	void *arg;
};

/* Resumption state (RFC 5246 session / RFC 5077 ticket / RFC 8446 4.6.1). */
struct hs_session {
	uint16_t version;
	bool peer_authenticated;	/* in the original handshake */
	uint16_t suite;
	bool ems;			/* TLS 1.2: extended master secret */
	uint8_t secret[HSD_HASH_MAX];	/* 1.2 master secret / 1.3 PSK */
	size_t secret_len;
	uint8_t session_id[32];
	size_t session_id_len;
	uint8_t ticket[2048];
	size_t ticket_len;
	uint32_t lifetime;		/* seconds */
	uint32_t age_add;
	uint64_t received_ms;		/* client clock at receipt */
	char server_name[256];
};
/* Wall clock in milliseconds, from the driver (the engine makes no calls). */
typedef uint64_t (*hs_now_fn)(void *arg);

/*
 * Server ticket keys (RFC 5077 4 / RFC 8446 4.6.1): tickets are the session
 * state sealed with AES-256-GCM under a key named in the ticket. The key
 * rotates every @rotate_s seconds; the previous key still opens tickets.
 * Tickets older than @lifetime_s (at most 7 days) are refused.
 * Thread-safe: one object may serve many connections.
 */
struct hs_ticket_keys;
int hs_ticket_keys_new(const struct hsd_crypto *cr, uint32_t lifetime_s,
		       uint32_t rotate_s, hs_now_fn now, void *now_arg,
		       struct hs_ticket_keys **out);
void hs_ticket_keys_free(struct hs_ticket_keys *tk);
int hs_ticket_keys_rotate(struct hs_ticket_keys *tk);

/*
 * Server TLS 1.2 session-ID cache: at most @max entries (the oldest goes),
 * each valid @lifetime_s seconds. Thread-safe.
 */
struct hs_session_cache;
int hs_session_cache_new(size_t max, uint32_t lifetime_s, hs_now_fn now,
			 void *now_arg, struct hs_session_cache **out);
void hs_session_cache_free(struct hs_session_cache *sc);
size_t hs_session_cache_count(struct hs_session_cache *sc);

/* Session files for --sess-out / --sess-in (our own encoding). */
int hs_session_encode(const struct hs_session *s, uint8_t *out, size_t cap,
		      size_t *len);
int hs_session_decode(const uint8_t *p, size_t n, struct hs_session *s);

#define HS_MAX_PSKS 5
/* server: PSK identities of one ClientHello that are looked up */
#define HS_MAX_PSK_LOOKUPS 16

struct hs_config {
	const struct hsd_crypto *crypto;
	enum hs_role role;
	uint16_t min_version;		/* default HS_TLS12 */
	uint16_t max_version;		/* default HS_TLS13 */
	const uint16_t *suites;		/* preference order; NULL: defaults */
	size_t n_suites;
	const uint16_t *groups;		/* NULL: x25519, P-256, P-384, ffdhe */
	size_t n_groups;
	/* client: groups to send key shares for (default: the first) */
	size_t n_key_shares;

	/* our credential: chain (leaf first) and its private key */
	const struct hsd_cert_chain *chain;
	struct hsd_pkey *key;

	/* peer verification: trust store; NULL with verify: reject */
	struct hsd_x509_store *trust;
	/*
	 * client: accept a server certificate without verifying it (a
	 * zeroed config verifies). Ignored when @psks are configured: a PSK
	 * client never completes on an unverified certificate.
	 */
	bool no_verify_peer;
	bool request_client_cert;	/* server: send CertificateRequest */
	bool require_client_cert;	/* server: and fail without one */
	/* client: SNI and the name to verify (DNS name or IP literal) */
	const char *server_name;

	/* ALPN protocol list in wire form (length-prefixed names) */
	const uint8_t *alpn;
	size_t alpn_len;

	/* client: external PSKs to offer (up to 5); server: lookup */
	const struct hs_psk *psks;
	size_t n_psks;
	hs_psk_lookup_fn psk_lookup;
	void *psk_lookup_arg;
	/* ephemeral keys made ahead (the daemon's idle time); NULL: on demand */
	struct hsd_kex_pool *kex_pool;
	/* random bytes drawn ahead; NULL: one libcrypto call per handshake */
	struct hsd_rand_pool *rand_pool;
	bool psk_only;		/* psk_ke: no (EC)DHE with the PSK */

	/* resumption */
	const struct hs_session *resume;	/* client: session to offer */
	struct hs_ticket_keys *ticket_keys; /* server: issue tickets */
	struct hs_session_cache *session_cache; /* server: TLS 1.2 IDs */
	unsigned int tickets_to_send;	/* TLS 1.3 server, default 1 */

	/*
	 * server: a cookie in HelloRetryRequest (RFC 8446 4.2.2). Only a
	 * stateless server needs one; a connection-oriented one keeps the
	 * state and sends none.
	 */
	bool hrr_cookie;

	uint16_t record_size_limit;	/* RFC 8449; 0: do not offer */
	/*
	 * server: take no record_size_limit from a ClientHello (RFC 8449 is
	 * optional: not answered, it binds neither side), for a record
	 * layer that cannot bound its records (kTLS before
	 * TLS_TX_MAX_PAYLOAD_LEN)
	 */
	bool ignore_record_size_limit;
	bool middlebox_compat;		/* client: RFC 8446 D.4 */
	bool no_extended_master_secret;	/* TLS 1.2: RFC 7627 default on */

	hs_keylog_fn keylog;
	void *keylog_arg;

	hs_now_fn now;		/* wall clock; NULL: tickets unusable */
	void *now_arg;

	/* every handshake message sent or received (content type 20: CCS) */
	void (*trace)(void *arg, bool sent, uint8_t content_type,
		      uint8_t msg_type);
	void *trace_arg;

	const struct hs_test_hooks *test;
};

struct hs_conn;

int hs_conn_new(const struct hs_config *cfg, struct hs_conn **out);
void hs_conn_free(struct hs_conn *c);

int hs_start(struct hs_conn *c);
int hs_input(struct hs_conn *c, const uint8_t *in, size_t len, size_t *used);
size_t hs_output(struct hs_conn *c, const uint8_t **p);
void hs_output_consumed(struct hs_conn *c, size_t n);

bool hs_is_done(const struct hs_conn *c);
/*
 * Once done and with nothing buffered (output sent, no partial record or
 * message): free what only the handshake needed (about 60 KiB), for a
 * connection that will idle. -EBUSY otherwise. What a later record needs
 * is allocated again on demand.
 */
int hs_conn_shed(struct hs_conn *c);

/*
 * Two engines joined in memory (the daemon's warm-up, tests, benchmarks):
 * each one's output goes to the other until both are done, one fails or
 * nothing moves. 0 when both finished, else -EPROTO. @seen, if set, is
 * shown every run of bytes handed over (@to_server: the client's).
 */
typedef void (*hs_pump_seen_fn)(void *arg, bool to_server, const uint8_t *p,
				size_t n);
int hs_pump(struct hs_conn *cl, struct hs_conn *sv, hs_pump_seen_fn seen,
	    void *arg);
/* Sticky failure: the alert (sent or received) and a reason. 0 if none. */
int hs_error(const struct hs_conn *c, uint8_t *alert, bool *received,
	     const char **why);

/* Queue an alert (close_notify or fatal) for the peer. */
int hs_send_alert(struct hs_conn *c, uint8_t alert);

/* What was negotiated. */
struct hs_params {
	uint16_t version;
	const struct hs_suite *suite;
	uint16_t group;		/* 0 if none (RSA kx, psk_ke) */
	uint16_t peer_sig;	/* scheme the peer signed with, 0 if none */
	bool resumed;
	bool hello_retry;	/* RFC 8446 4.1.4: a HelloRetryRequest was sent/received */
	bool psk;		/* external PSK used */
	const struct hs_psk *psk_used;
	bool peer_authenticated; /* verified certificate, or PSK */
	bool peer_cert_presented;
	char alpn[256];
	uint16_t peer_record_size_limit; /* 0: not negotiated */
	bool extended_master_secret;
};
const struct hs_params *hs_params(const struct hs_conn *c);
/* the peer's end-entity certificate (DER) as received; -ENOENT if none */
int hs_peer_certificate(const struct hs_conn *c, const uint8_t **der,
			size_t *len);

/*
 * Traffic keys of one direction in the form kTLS needs. @seq is the next
 * record sequence number under this key (records the engine already sent or
 * received with it). For TLS 1.3 @secret lets the data path compute
 * KeyUpdates.
 */
struct hs_traffic {
	uint16_t version;
	const struct hsd_aead_desc *aead;
	uint8_t key[HSD_AEAD_KEY_MAX];
	uint8_t iv[HSD_AEAD_NONCE_LEN];	/* 1.2: fixed IV in the first 4 */
	uint64_t seq;
	uint8_t secret[HSD_HASH_MAX];
	size_t secret_len;
};

int hs_traffic(const struct hs_conn *c, bool tx, struct hs_traffic *out);

/*
 * After the handshake: the user-space record layer (the software fallback
 * of the data path, identical on the wire to kTLS).
 *
 * hs_app_write() seals @n bytes into records queued for hs_output(); in
 * TLS 1.3 it rekeys (KeyUpdate) before the AEAD usage limit. All or
 * nothing: -ENOBUFS when the records would not fit next to undrained
 * output (HS_APP_WRITE_MAX bytes always fit into drained output).
 * hs_app_read() takes received bytes and returns at most one record's
 * application data in @out (@cap >= 16384); control records are handled
 * on the way: alerts (close_notify: hs_peer_closed()), NewSessionTicket,
 * KeyUpdate (answered when requested), refused renegotiation.
 */
#define HS_APP_WRITE_MAX (128 * 1024)
int hs_app_write(struct hs_conn *c, const uint8_t *p, size_t n);
int hs_app_read(struct hs_conn *c, const uint8_t *in, size_t len,
		size_t *used, uint8_t *out, size_t cap, size_t *outlen);
bool hs_peer_closed(const struct hs_conn *c);
/* TLS 1.3: send a KeyUpdate, asking the peer to update too if @request */
int hs_key_update(struct hs_conn *c, bool request);
/*
 * The data path moved TX into the kernel (kTLS): from now on a KeyUpdate
 * the engine owes is not sealed here but handed out by
 * hs_take_key_update() as the plaintext message for the kernel to send,
 * after which the driver installs hs_traffic(tx) (the next key).
 */
void hs_tx_offloaded(struct hs_conn *c, uint64_t next_seq);
/* 1 and @msg (5 bytes) if a KeyUpdate must be sent, 0 if none */
int hs_take_key_update(struct hs_conn *c, uint8_t msg[5]);

/* An alert record's body from kTLS RX: close_notify or a fatal error. */
int hs_handle_alert_public(struct hs_conn *c, const uint8_t *p, size_t n);
/* Bytes still missing from a record the engine holds in part (0: none). */
size_t hs_rx_partial_need(const struct hs_conn *c);
/* KeyUpdates received so far (the data path reinstalls RX keys) */
uint64_t hs_keyupdates_rx(const struct hs_conn *c);
/*
 * Largest plaintext one of our records may carry: 2^14, or less when the
 * peer sent a record_size_limit (RFC 8449 4: in TLS 1.3 the limit counts
 * the inner content type too). kTLS TX must be held to the same.
 */
size_t hs_tx_max_plaintext(const struct hs_conn *c);

/*
 * Application data arrived through kTLS RX: records without data in a row
 * (empty, warnings, tickets, KeyUpdates) are counted and capped.
 */
void hs_app_data_received(struct hs_conn *c);

/* Client: the newest resumable session (0), or -ENOENT. */
int hs_get_session(const struct hs_conn *c, struct hs_session *out);
/*
 * Post-handshake messages arriving through kTLS (record already opened):
 * HS_POST_KEY_UPDATE when they held the peer's KeyUpdate (RFC 8446 4.6.3:
 * the RX key changed, hs_traffic() has the next one), else 0; -errno.
 */
#define HS_POST_KEY_UPDATE 1
int hs_post_handshake(struct hs_conn *c, const uint8_t *p, size_t n);

#endif
