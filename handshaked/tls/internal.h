/* SPDX-License-Identifier: GPL-2.0 */
/* Engine internals: the connection, the step table, helpers. */
#ifndef HS_INTERNAL_H
#define HS_INTERNAL_H

#include "handshaked/util.h"
#include "handshaked/tls/tls.h"
#include "handshaked/wire.h"

/* RFC 8446 4 / RFC 5246 7.4 HandshakeType */
enum {
	HS_MT_HELLO_REQUEST = 0,
	HS_MT_CLIENT_HELLO = 1,
	HS_MT_SERVER_HELLO = 2,
	HS_MT_NEW_SESSION_TICKET = 4,
	HS_MT_END_OF_EARLY_DATA = 5,
	HS_MT_ENCRYPTED_EXTENSIONS = 8,
	HS_MT_CERTIFICATE = 11,
	HS_MT_SERVER_KEY_EXCHANGE = 12,
	HS_MT_CERTIFICATE_REQUEST = 13,
	HS_MT_SERVER_HELLO_DONE = 14,
	HS_MT_CERTIFICATE_VERIFY = 15,
	HS_MT_CLIENT_KEY_EXCHANGE = 16,
	HS_MT_FINISHED = 20,
	HS_MT_KEY_UPDATE = 24,
	HS_MT_MESSAGE_HASH = 254,
	/* pseudo type for a ChangeCipherSpec step in TLS 1.2 shapes */
	HS_MT_CCS = 255,
};

#define HS_RECORD_HEADER 5
#define HS_MAX_PLAINTEXT 16384
/* RFC 8446 5.2: at most 2^14 + 256 bytes of ciphertext */
#define HS_MAX_CIPHERTEXT (HS_MAX_PLAINTEXT + 256)
/* RFC 5246 6.2.3: 2^14 + 2048 */
#define HS_MAX_CIPHERTEXT12 (HS_MAX_PLAINTEXT + 2048)
/* largest handshake message we accept (certificate chains) */
#define HS_MAX_HANDSHAKE (64 * 1024)

/* is @v in a peer's list (cipher suites, groups): the one lookup for all */
static inline bool hs_listed(const uint16_t *list, size_t n, uint16_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/* ---- the handshake as data ---- */
/* one step per handshake message, named as RFC 8446 4 / RFC 5246 7.4 do */
enum hs_step_id {
	S_END = 0,
	S_CLIENT_HELLO,
	S_SERVER_HELLO,
	S_HELLO_RETRY_REQUEST,		/* a ServerHello (RFC 8446 4.1.4) */
	S_CLIENT_HELLO_2,		/* the ClientHello after it */
	S_ENCRYPTED_EXTENSIONS,
	S_CERTIFICATE_REQUEST_13,
	S_SERVER_CERTIFICATE,
	S_SERVER_KEY_EXCHANGE,		/* TLS 1.2 */
	S_CERTIFICATE_REQUEST_12,
	S_SERVER_HELLO_DONE,		/* TLS 1.2 */
	S_SERVER_CERTIFICATE_VERIFY,	/* TLS 1.3 */
	S_SERVER_FINISHED,
	S_CLIENT_CERTIFICATE,
	S_CLIENT_KEY_EXCHANGE,		/* TLS 1.2 */
	S_CLIENT_CERTIFICATE_VERIFY,
	S_CLIENT_CHANGE_CIPHER_SPEC,	/* TLS 1.2 */
	S_CLIENT_FINISHED,
	S_NEW_SESSION_TICKET_12,	/* RFC 5077 */
	S_SERVER_CHANGE_CIPHER_SPEC,	/* TLS 1.2 */
	S_COUNT,
};

/* step flags */
#define HS_STEP_OPTIONAL 1	/* the receiver cannot predict it */

struct hs_conn;

struct hs_step {
	const char *name;
	uint8_t content_type;
	uint8_t msg_type;
	uint8_t sender;		/* HS_CLIENT or HS_SERVER */
	uint8_t flags;
	/* step applies in this handshake (both sides); NULL: always */
	bool (*when)(const struct hs_conn *c);
	/* receiver: parse the body (the transcript does not hold it yet) */
	int (*parse)(struct hs_conn *c, struct hs_cur *body);
	/* sender: write the body */
	int (*build)(struct hs_conn *c, struct hs_buf *body);
	/* both: after the message entered the transcript (key schedule) */
	int (*after)(struct hs_conn *c);
};

extern const struct hs_step hs_steps[S_COUNT];

enum hs_shape_id {
	SHAPE_13_FULL,
	SHAPE_13_HRR,
	SHAPE_13_PSK,
	SHAPE_13_HRR_PSK,
	SHAPE_12_FULL,
	SHAPE_12_RESUMED,
	SHAPE_COUNT,
};

struct hs_shape {
	const char *name;
	const uint8_t *steps;	/* S_END terminated */
};

extern const struct hs_shape hs_shapes[SHAPE_COUNT];

/* ---- record protection, one direction ---- */
struct hs_dir {
	struct hsd_aead *aead;	/* NULL: plaintext */
	const struct hsd_aead_desc *desc;
	uint16_t version;	/* protection format: HS_TLS12 or HS_TLS13 */
	uint8_t key[HSD_AEAD_KEY_MAX];
	uint8_t iv[HSD_AEAD_NONCE_LEN];
	uint64_t seq;
	uint32_t epoch;		/* bumped on every key change */
	uint8_t secret[HSD_HASH_MAX];	/* TLS 1.3 traffic secret */
	/* RFC 8449: largest plaintext the peer accepts (tx only) */
	size_t max_plaintext;
};

/* ---- the connection ---- */
/*
 * What only the handshake needs: allocated with the connection, freed by
 * hs_conn_shed() once it is done (its secrets wiped), so a connection
 * that carries data for hours keeps its keys and not these.
 */
struct hs_handshake {
	uint8_t cookie[128];
	size_t cookie_len;
	bool sent_exts[64];		/* client: which extension types we sent */
	uint16_t peer_sigs[32];		/* signature_algorithms of the peer */
	size_t n_peer_sigs;
	uint16_t peer_groups[16];
	size_t n_peer_groups;
	uint8_t peer_share[HSD_KEX_PUB_MAX];
	size_t peer_share_len;
	uint8_t shared[HSD_KEX_SECRET_MAX];
	size_t shared_len;
	struct hs_offer {
		const uint8_t *id;
		size_t id_len;
		uint32_t age;		/* obfuscated_ticket_age */
		const uint8_t *key;
		size_t key_len;
		enum hsd_hash_id hash;
		bool resumption;
		const struct hs_psk *ext;
	} offers[HS_MAX_PSKS + 1];
	size_t n_offers;
	uint8_t early_secret[HSD_HASH_MAX];
	uint8_t handshake_secret[HSD_HASH_MAX];
	uint8_t c_hs[HSD_HASH_MAX], s_hs[HSD_HASH_MAX];
	uint8_t cr_context[255];
	size_t cr_context_len;
};

struct hs_conn {
	struct hs_config cfg;
	const struct hsd_crypto *cr;
	enum hs_role role;

	/* dispatcher */
	enum hs_shape_id shape;
	size_t pos;
	bool done;
	bool closed;		/* close_notify received */
	/* hs_random()'s pool: the handshake's randomness in one draw */
	uint8_t rnd[128];
	size_t rnd_left;
	bool sent_close;
	bool ccs_dropped;	/* TLS 1.3: the compatibility CCS came */
	/* records without data since the last data (hs_count_control) */
	unsigned int control_in_a_row;

	/* sticky error */
	int err;
	uint8_t alert;
	bool alert_received;
	char why[160];

	/* input: the record being assembled and handshake reassembly */
	uint8_t *rec;
	size_t rec_len;
	uint8_t *hmsg;
	size_t hmsg_len, hmsg_cap;

	/* output */
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	/*
	 * Protected handshake messages not sealed yet: a flight's messages
	 * under one key share records (RFC 8446 5.1), one seal instead of one
	 * per message. Sealed when the key, the content type or the flight
	 * ends (hs_flush_pending()).
	 */
	uint8_t *pend;
	size_t pend_len;
	uint8_t *scratch;	/* message bodies are built here */
	size_t scratch_cap;

	struct hs_handshake *h;	/* NULL once shed */

	struct hs_dir rx, tx;

	/* transcript: buffered until the hash is known (TLS 1.3 CH) */
	struct hsd_hash_ctx *th;
	enum hsd_hash_id th_hash;
	uint8_t *th_buf;
	size_t th_buf_len, th_cap;
	/* TLS 1.2 CertificateVerify signs all messages: keep them */
	bool th_keep_all;

	/* negotiation */
	struct hs_params p;
	const struct hs_suite *suite;
	uint8_t client_random[32];
	uint8_t server_random[32];
	uint8_t session_id[32];
	size_t session_id_len;
	uint16_t client_version;	/* legacy_version from ClientHello */
	bool hrr;			/* a HelloRetryRequest happened */
	bool hrr_next;			/* server: this ClientHello gets one */
	bool hrr_ccs_sent;		/* server: compatibility CCS queued */
	uint16_t hrr_group;
	bool peer_ems;			/* extended_master_secret offered */
	bool peer_reneg_info;
	bool peer_ec_point_formats;	/* ec_point_formats offered */
	bool peer_ticket_ext;
	bool send_ticket12;
	uint8_t sni[256];
	bool sni_acked;
	uint16_t my_sig;		/* scheme we sign with */

	/* key exchange */
	struct hsd_kex *kex[2];
	uint16_t kex_group[2];
	size_t n_kex;

	/* PSK / resumption */
	struct hs_psk psk;		/* the selected one (server: looked up) */
	bool psk_resumption;		/* the PSK is a resumption ticket's */
	bool peer_psk_dhe;		/* client offered psk_dhe_ke */
	uint32_t tickets_sent;
	int psk_index;			/* selected identity, -1: none */
	/* server: SHA-256 of the identity ClientHello 1 selected (HRR) */
	uint8_t ch1_psk_id[32];
	bool ch1_psk_selected;
	bool psk_dhe;
	/* client: the PSK identities offered (resumption first) */

	/* TLS 1.3 key schedule */
	enum hsd_hash_id ks_hash;
	uint8_t master_secret[HSD_HASH_MAX];	/* 1.2: 48 bytes */
	uint8_t c_ap[HSD_HASH_MAX], s_ap[HSD_HASH_MAX];
	uint8_t exporter_master[HSD_HASH_MAX];
	uint8_t resumption_master[HSD_HASH_MAX];
	/* TLS 1.2 key block: client key, server key, client IV, server IV */
	uint8_t kb_ckey[HSD_AEAD_KEY_MAX], kb_skey[HSD_AEAD_KEY_MAX];
	uint8_t kb_civ[HSD_AEAD_NONCE_LEN], kb_siv[HSD_AEAD_NONCE_LEN];
	bool resumed12;
	bool fallback_scsv;

	/* post-handshake */
	/* client: latest resumable session (hs_session_slot: on first use) */
	struct hs_session *session;
	bool have_session;
	bool key_update_pending;	/* peer asked; ours not sent yet */
	bool tx_offloaded;		/* kTLS seals our records */
	uint8_t ku_msg[5];		/* KeyUpdate for the kernel to send */
	bool ku_ready;
	uint64_t keyupdates_rx, keyupdates_tx;

	/* certificates */
	bool cert_requested;		/* client: CertificateRequest seen */
	bool tickets_early;		/* server: tickets went with Finished */
	bool sent_client_cert;		/* client: non-empty Certificate */
	struct hsd_cert_chain peer_chain;
	struct hsd_pkey *peer_key;
};

/* engine.c */
__printf(4, 5)
int hs_fail(struct hs_conn *c, uint8_t alert, int err, const char *fmt, ...);
int hs_random(struct hs_conn *c, uint8_t *p, size_t n);
void hs_kex_reset(struct hs_conn *c);
int hs_kex_make(struct hs_conn *c, uint16_t group, struct hsd_kex **out,
		uint8_t *pub, size_t *publen);
int hs_kex_respond(struct hs_conn *c, uint16_t group, struct hsd_kex **out,
		   uint8_t *pub, size_t *publen);
int hs_transcript_add(struct hs_conn *c, const uint8_t *p, size_t n);
int hs_transcript_hash(struct hs_conn *c, uint8_t *out);
int hs_transcript_set_hash(struct hs_conn *c, enum hsd_hash_id h);
void hs_keylog(struct hs_conn *c, const char *label, const uint8_t *secret,
	       size_t len);
/* a handshake message into the transcript and the output, as records */
int hs_queue_handshake(struct hs_conn *c, const uint8_t *p, size_t n);
int hs_queue_record(struct hs_conn *c, uint8_t type, const uint8_t *p,
		    size_t n);
int hs_queue_plain_ccs(struct hs_conn *c);
int hs_flush_pending(struct hs_conn *c);
int hs_grow(uint8_t **buf, size_t *cap, size_t len, size_t need, size_t max);
/* the client's session record, allocated on first use; NULL: no memory */
struct hs_session *hs_session_slot(struct hs_conn *c);
size_t hs_out_room(const struct hs_conn *c);
int hs_record_header(struct hs_conn *c, const uint8_t hdr[HS_RECORD_HEADER]);
int hs_take_record(struct hs_conn *c, const uint8_t *in, size_t len,
		   size_t *off);
int hs_handle_alert(struct hs_conn *c, const uint8_t *p, size_t n);
int hs_fail_open(struct hs_conn *c, int err);
/* control records without data in a row: at most this many */
#define HS_MAX_CONTROL_IN_A_ROW 32
int hs_count_control(struct hs_conn *c);
int hs_reassemble(struct hs_conn *c, const uint8_t *p, size_t n,
		  int (*one)(struct hs_conn *c, const uint8_t *msg, size_t len));

/* record.c */
int hs_dir_set(struct hs_conn *c, struct hs_dir *d, uint16_t version,
	       const struct hsd_aead_desc *desc, const uint8_t *key,
	       const uint8_t *iv);
void hs_dir_clear(struct hs_dir *d);
size_t hs_seal_len(const struct hs_dir *d, size_t n);
int hs_seal(struct hs_dir *d, uint8_t type, const uint8_t *p, size_t n,
	    uint8_t *out, size_t *outlen);
int hs_open(struct hs_dir *d, uint8_t *rec, size_t len, uint8_t *type,
	    uint8_t **p, size_t *n);
int hs_open_to(struct hs_dir *d, const uint8_t *rec, size_t len, uint8_t *dst,
	       uint8_t *type, size_t *n);

/* keysched13.c */
int hs13_expand_label(struct hs_conn *c, const uint8_t *secret,
		      const char *label, const uint8_t *ctx, size_t ctxlen,
		      uint8_t *out, size_t outlen);
int hs13_derive_early(struct hs_conn *c, const uint8_t *psk, size_t psklen);
int hs13_derive_handshake(struct hs_conn *c);
int hs13_derive_application(struct hs_conn *c);
int hs13_derive_resumption(struct hs_conn *c);
int hs13_derive_resumption_early(struct hs_conn *c);
int hs13_set_traffic(struct hs_conn *c, struct hs_dir *d,
		     const uint8_t *secret);
int hs13_finished(struct hs_conn *c, const uint8_t *base, const uint8_t *th,
		  uint8_t *out);
int hs13_binder_key(struct hs_conn *c, const uint8_t *psk, size_t psklen,
		    bool external, uint8_t *out);
int hs13_next_secret(struct hs_conn *c, struct hs_dir *d);

int hs_hash_with_prefix_test(struct hs_conn *c, const uint8_t *p, size_t n,
			     uint8_t *out);

/* shared predicates (engine.c) and record bounds (flight.c) */
size_t hs_hash_len(const struct hs_conn *c);
bool hs_is13(const struct hs_conn *c);
/* RFC 8449: record bounds each way once record_size_limit was seen */
void hs_apply_record_limits(struct hs_conn *c);

#endif
