// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harnesses, one binary per target (-DTARGET=...):
 *   client_hello server_hello encrypted_extensions certificate
 *   certificate_request certificate_verify finished server_key_exchange
 *   client_key_exchange new_session_ticket12 post_handshake record
 *   session client_flight server_flight accept (the daemon's ACCEPT reply
 *   decoder) config (tlshd's key file) x25519 (the fixed-base public key
 *   against libcrypto's ladder) ecdsa_p256 (verification through a key's
 *   own table against libcrypto's: [message length][message][signature])
 *   modinv (the divsteps inverse against BN_mod_inverse: [modulus][x])
 *   http_request (the file server's request parser and response head:
 *   a complete head parses alike from every longer input, never from a
 *   shorter one; the path is decoded, bounded, NUL-free) http_response
 *   (the response head ktlsh bench reads: the same, and its body length)
 *   ktlsh_reply (ktlsh.ko's HANDSHAKE-DONE, GET-PARAMS and GET-STATS
 *   decoders: [which][attributes], framed as a genetlink message here)
 * Parsers are driven with a connection put into the state they expect;
 * the *_flight targets feed whole peer flights to each role.
 */
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "handshaked/daemon/config.h"
#include "handshaked/kernel/ktlsh_nl.h"
#include "handshaked/http/http.h"
#include "handshaked/tls/hello.h"
#include "handshaked/tls/session.h"
#include "handshaked/kernel/upcall.h"

#ifndef HSD_CERTS
#define HSD_CERTS "selftests/.certs"
#endif

enum {
	T_client_hello, T_server_hello, T_encrypted_extensions, T_certificate,
	T_certificate_request, T_certificate_verify, T_finished,
	T_server_key_exchange, T_client_key_exchange, T_new_session_ticket12,
	T_post_handshake, T_record, T_session, T_client_flight, T_server_flight,
	T_accept, T_config, T_x25519, T_ecdsa_p256, T_modinv, T_http_request,
	T_http_response, T_ktlsh_reply,
};

#define CAT(a, b) a##b
#define ID(t) CAT(T_, t)

static struct hsd_crypto *cr;
static struct hsd_cert_chain chain;
static struct hsd_pkey *key;
static struct hsd_x509_store *trust;
static struct hsd_pkey *pub_plain, *pub_table;

static int det_random(void *arg, uint8_t *p, size_t n)
{
	memset(p, 0x5c, n);
	return 0;
}

static const struct hs_test_hooks hooks = { .random = det_random };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (hsd_crypto_new(&cr) ||
	    hsd_cert_chain_load(HSD_CERTS "/server-ec.pem", &chain) ||
	    hsd_pkey_load_private(cr, HSD_CERTS "/server-ec.key", &key) ||
	    hsd_x509_store_new(cr, HSD_CERTS "/ca.pem", NULL, NULL, &trust) ||
	    hsd_cert_pubkey(cr, chain.der[0], chain.len[0], &pub_plain) ||
	    hsd_cert_pubkey(cr, chain.der[0], chain.len[0], &pub_table) ||
	    hsd_pkey_precompute(pub_table))
		abort();
	return 0;
}

static struct hs_conn *conn(enum hs_role role, uint16_t version, uint16_t suite)
{
	struct hs_config cfg = {
		.crypto = cr, .role = role, .chain = &chain, .key = key,
		.trust = trust, .server_name = "server.test",
		.test = &hooks,
	};
	struct hs_conn *c;

	if (hs_conn_new(&cfg, &c))
		abort();
	if (version) {
		c->p.version = version;
		hs_set_suite(c, hs_suite_find(suite));
		hs_transcript_set_hash(c, c->suite->hash);
		c->p.group = HSD_GROUP_X25519;
	}
	return c;
}

static void parse(struct hs_conn *c, int (*fn)(struct hs_conn *, struct hs_cur *),
		  const uint8_t *d, size_t n)
{
	struct hs_cur cur = hs_cur_init(d, n);

	fn(c, &cur);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	uint8_t rec[HS_MAX_HANDSHAKE + 16], out[16384 + 64];
	struct hs_session s;
	struct hs_conn *c = NULL;
	size_t used, got;

	switch (ID(TARGET)) {
	case T_client_hello:
	case T_server_hello:
		/* wrapped as a plaintext record of one handshake message */
		if (n > HS_MAX_PLAINTEXT - 4)
			return 0;
		c = conn(ID(TARGET) == T_client_hello ? HS_SERVER : HS_CLIENT, 0, 0);
		if (c->role == HS_CLIENT)
			hs_start(c);
		rec[0] = HS_CT_HANDSHAKE;
		rec[1] = 3;
		rec[2] = 3;
		rec[3] = (uint8_t)((n + 4) >> 8);
		rec[4] = (uint8_t)(n + 4);
		rec[5] = ID(TARGET) == T_client_hello ? 1 : 2;
		rec[6] = 0;
		rec[7] = (uint8_t)(n >> 8);
		rec[8] = (uint8_t)n;
		memcpy(rec + 9, d, n);
		hs_input(c, rec, n + 9, &used);
		break;
	case T_encrypted_extensions:
		c = conn(HS_CLIENT, HS_TLS13, HS_TLS_AES_128_GCM_SHA256);
		parse(c, hs_parse_encrypted_extensions, d, n);
		break;
	case T_certificate:
		c = conn(n && d[0] & 1 ? HS_SERVER : HS_CLIENT,
			 n && d[0] & 2 ? HS_TLS12 : HS_TLS13,
			 n && d[0] & 2 ? HS_ECDHE_ECDSA_AES_128_GCM_SHA256 :
			 HS_TLS_AES_128_GCM_SHA256);
		if (n)
			parse(c, hs_parse_certificate, d + 1, n - 1);
		break;
	case T_certificate_request:
		c = conn(HS_CLIENT, n && d[0] & 1 ? HS_TLS12 : HS_TLS13,
			 n && d[0] & 1 ? HS_ECDHE_ECDSA_AES_128_GCM_SHA256 :
			 HS_TLS_AES_128_GCM_SHA256);
		if (n)
			parse(c, hs_parse_certificate_request, d + 1, n - 1);
		break;
	case T_certificate_verify:
		c = conn(HS_CLIENT, HS_TLS13, HS_TLS_AES_128_GCM_SHA256);
		hsd_cert_pubkey(cr, chain.der[0], chain.len[0], &c->peer_key);
		parse(c, hs_parse_certificate_verify, d, n);
		break;
	case T_finished:
		c = conn(HS_CLIENT, HS_TLS13, HS_TLS_AES_256_GCM_SHA384);
		parse(c, hs_parse_finished, d, n);
		break;
	case T_server_key_exchange:
		c = conn(HS_CLIENT, HS_TLS12, n && d[0] & 1 ?
			 HS_DHE_RSA_AES_128_GCM_SHA256 :
			 HS_ECDHE_ECDSA_AES_128_GCM_SHA256);
		hsd_cert_pubkey(cr, chain.der[0], chain.len[0], &c->peer_key);
		if (n)
			parse(c, hs12_parse_server_key_exchange, d + 1, n - 1);
		break;
	case T_client_key_exchange:
		c = conn(HS_SERVER, HS_TLS12, n && d[0] & 1 ?
			 HS_RSA_AES_128_GCM_SHA256 : HS_ECDHE_ECDSA_AES_128_GCM_SHA256);
		{
			uint8_t pub[HSD_KEX_PUB_MAX];
			size_t pl;

			hsd_kex_new(cr, HSD_GROUP_X25519, &c->kex[0], pub, &pl);
		}
		if (n && !(d[0] & 1))
			parse(c, hs12_parse_client_key_exchange, d + 1, n - 1);
		break;
	case T_new_session_ticket12:
		c = conn(HS_CLIENT, HS_TLS12, HS_ECDHE_ECDSA_AES_128_GCM_SHA256);
		parse(c, hs12_parse_new_session_ticket, d, n);
		break;
	case T_post_handshake:
		c = conn(n && d[0] & 1 ? HS_SERVER : HS_CLIENT,
			 n && d[0] & 2 ? HS_TLS12 : HS_TLS13,
			 n && d[0] & 2 ? HS_ECDHE_ECDSA_AES_128_GCM_SHA256 :
			 HS_TLS_AES_128_GCM_SHA256);
		c->done = true;
		hs13_set_traffic(c, &c->rx, c->c_ap);
		hs13_set_traffic(c, &c->tx, c->s_ap);
		if (n)
			hs_post_handshake(c, d + 1, n - 1);
		break;
	case T_record:
		c = conn(HS_SERVER, HS_TLS13, HS_TLS_CHACHA20_POLY1305_SHA256);
		c->done = true;
		hs13_set_traffic(c, &c->rx, c->c_ap);
		/*
		 * the first byte cuts the rest into pieces: 0 keeps it whole
		 * (records open straight into out), else records are gathered
		 */
		if (!n)
			break;
		for (size_t off = 1, k = d[0] ? d[0] : n; off < n; off += used) {
			size_t piece = n - off < k ? n - off : k;

			if (hs_app_read(c, d + off, piece, &used, out,
					sizeof(out), &got) || !used)
				break;
		}
		break;
	case T_session:
		hs_session_decode(d, n, &s);
		return 0;
	case T_accept: {
		struct hsd_accept a;

		hsd_accept_parse(d, n, &a);
		return 0;
	}
	case T_ktlsh_reply: {
		static uint8_t m[NLMSG_HDRLEN + GENL_HDRLEN + 65536]
			__attribute__((aligned(8)));
		struct nlmsghdr *nh = (struct nlmsghdr *)m;
		static struct hsd_kh_result r;
		static struct hsd_kh_app a;
		static struct hsd_kh_stats st;

		if (!n || n - 1 > 65536)
			return 0;
		memset(m, 0, NLMSG_HDRLEN + GENL_HDRLEN);
		memcpy(m + NLMSG_HDRLEN + GENL_HDRLEN, d + 1, n - 1);
		nh->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + GENL_HDRLEN + n - 1);
		switch (d[0] % 3) {
		case 0:
			hsd_kh_decode_done(m, nh->nlmsg_len, &r);
			break;
		case 1:
			hsd_kh_decode_params(m, nh->nlmsg_len, &a);
			break;
		default:
			hsd_kh_decode_stats(m, nh->nlmsg_len, &st);
		}
		return 0;
	}
	case T_config: {
		struct hsd_cfg cfg;
		char err[128];

		hsd_cfg_parse((const char *)d, n, &cfg, err, sizeof(err));
		return 0;
	}
	case T_http_response: {
		struct http_response_head h, h2;
		int end = http_parse_response(d, n, n & 1, &h);

		if (end > (int)n || (end < 0 && end != -EBADMSG &&
				     end != -EPROTO && end != -EMSGSIZE))
			abort();
		if (end > 0 && (h.status < 100 || h.status > 599 ||
				http_parse_response(d, (size_t)end, n & 1, &h2) != end ||
				h2.body_len != h.body_len ||
				http_parse_response(d, (size_t)end - 1, n & 1, &h2) > 0))
			abort();
		return 0;
	}
	case T_http_request: {
		static const struct http_file f = {
			.size = 100000, .mtime = { 1, 2 }, .ino = 3,
			.name = "/x.html",
		};
		struct http_request r, r2;
		struct http_response o;
		char head[1024];
		int end = http_parse_request(d, n, &r), e2;

		if (end > (int)n || (end < 0 && end != -EBADMSG) ||
		    (end < 0 && (r.status < 400 || r.status > 505)))
			abort();
		if (end > 0) {
			/* the head alone parses to the same end */
			e2 = http_parse_request(d, (size_t)end, &r2);
			if (e2 != end || strcmp(r.path, r2.path))
				abort();
			/* one byte short of it is never complete */
			e2 = http_parse_request(d, (size_t)end - 1, &r2);
			if (e2 > 0)
				abort();
			if (r.path[0] != '/' || strlen(r.path) != r.path_len ||
			    r.path_len > HTTP_TARGET_MAX)
				abort();
			if (http_respond(&r, &f, 0, 0, head, sizeof(head), &o) ||
			    o.head_len >= sizeof(head) ||
			    strlen(head) != o.head_len ||
			    (o.body_from_file &&
			     o.body_off + o.body_len > f.size))
				abort();
		} else if (end < 0 &&
			   http_respond(&r, NULL, r.status, 0, head,
					sizeof(head), &o)) {
			abort();
		}
		return 0;
	}
	case T_x25519: {
		/* differential: the comb's public key is the ladder's X25519(k, 9) */
		static const uint8_t u9[32] = { 9 };
		uint8_t k[32] = { 0 }, pub[HSD_KEX_PUB_MAX];
		uint8_t sec[HSD_KEX_SECRET_MAX];
		struct hsd_kex *x;
		size_t pl, sl;

		memcpy(k, d, n < 32 ? n : 32);
		if (hsd_kex_new_private(cr, HSD_GROUP_X25519, k, 32, &x, pub, &pl))
			abort();
		if (hsd_kex_derive(x, u9, 32, sec, &sl) || pl != 32 || sl != 32 ||
		    memcmp(pub, sec, 32))
			abort();
		hsd_kex_free(x);
		return 0;
	}
	case T_ecdsa_p256: {
		/* differential: the key's table agrees with libcrypto, always */
		size_t ml = n ? d[0] : 0;

		if (!n || ml > n - 1)
			return 0;
		if (hsd_verify(cr, pub_plain, HSD_SIG_ECDSA_SECP256R1_SHA256,
			       d + 1, ml, d + 1 + ml, n - 1 - ml) !=
		    hsd_verify(cr, pub_table, HSD_SIG_ECDSA_SECP256R1_SHA256,
			       d + 1, ml, d + 1 + ml, n - 1 - ml))
			abort();
		return 0;
	}
	case T_modinv: {
		/* differential: same inverse, or both refuse */
		uint8_t in[64] = { 0 }, inv[32], want[32];
		BIGNUM *m, *x, *r;
		BN_CTX *bc;
		int err;

		memcpy(in, d, n < 64 ? n : 64);
		in[31] |= 1;
		m = BN_bin2bn(in, 32, NULL);
		x = BN_bin2bn(in + 32, 32, NULL);
		r = BN_new();
		bc = BN_CTX_new();
		if (!m || !x || !r || !bc)
			abort();
		err = hsd_modinv256_var(inv, in + 32, in);
		if (BN_is_zero(x) || BN_cmp(x, m) >= 0 || BN_is_one(m) ||
		    !BN_mod_inverse(r, x, m, bc)) {
			if (!err)
				abort();
		} else if (err || BN_bn2binpad(r, want, 32) != 32 ||
			   memcmp(inv, want, 32)) {
			abort();
		}
		ERR_clear_error();
		BN_free(m);
		BN_free(x);
		BN_free(r);
		BN_CTX_free(bc);
		return 0;
	}
	case T_client_flight:
		c = conn(HS_CLIENT, 0, 0);
		hs_start(c);
		hs_input(c, d, n, &used);
		break;
	case T_server_flight:
		c = conn(HS_SERVER, 0, 0);
		hs_input(c, d, n, &used);
		break;
	}
	hs_conn_free(c);
	return 0;
}
