/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the message files: builders, parsers, step predicates. */
#ifndef HS_HELLO_H
#define HS_HELLO_H

#include "handshaked/tls/ext.h"

/*
 * Write one extension of connection @c into @b: type, then @body in a 2-byte
 * length; noted as sent (a client accepts answers only to what it sent).
 */
#define EXT(c, b, type, body) do {					\
		struct hs_vec_mark __m;					\
		hs_put_u16(b, type);					\
		hs_ext_mark_sent(c, type);				\
		__m = hs_vec_open(b, 2);				\
		body;							\
		hs_vec_close(b, __m);					\
	} while (0)

/* signalling cipher suite values: RFC 5746 3.3, RFC 7507 2 */
#define TLS_EMPTY_RENEGOTIATION_INFO_SCSV 0x00ff
#define TLS_FALLBACK_SCSV 0x5600

/* RFC 8446 4.1.3: SHA-256("HelloRetryRequest") */
extern const uint8_t hs_hrr_random[32];

bool hs_suite_allowed(const struct hs_conn *c, const struct hs_suite *s);
size_t hs_our_suites(const struct hs_conn *c, const struct hs_suite **out,
		     size_t max);
void hs_put_sig_algs(struct hs_conn *c, struct hs_buf *b);
bool hs_we_accept_sig(uint16_t scheme);
int hs_hash_with_prefix(struct hs_conn *c, enum hsd_hash_id h,
			const uint8_t *p, size_t n, uint8_t *out);
void hs_set_suite(struct hs_conn *c, const struct hs_suite *s);
int hs_choose_alpn(struct hs_conn *c, const struct hs_ch_info *ch);
bool hs_peer_has_group(const struct hs_conn *c, uint16_t g);

/* client_hello.c / negotiate.c */
int hs_build_client_hello(struct hs_conn *c, struct hs_buf *b);
int hs_parse_client_hello(struct hs_conn *c, struct hs_cur *body);
/* server_hello.c */
int hs_build_server_hello(struct hs_conn *c, struct hs_buf *b);
int hs_build_hello_retry_request(struct hs_conn *c, struct hs_buf *b);
int hs_parse_server_hello(struct hs_conn *c, struct hs_cur *body);
int hs_build_encrypted_extensions(struct hs_conn *c, struct hs_buf *b);
void hs_put_server_alpn_rsl(struct hs_conn *c, struct hs_buf *b);
int hs_parse_encrypted_extensions(struct hs_conn *c, struct hs_cur *body);
/* certificate.c */
int hs_build_certificate(struct hs_conn *c, struct hs_buf *b);
int hs_parse_certificate(struct hs_conn *c, struct hs_cur *body);
int hs_build_certificate_request(struct hs_conn *c, struct hs_buf *b);
int hs_parse_certificate_request(struct hs_conn *c, struct hs_cur *body);
int hs_build_certificate_verify(struct hs_conn *c, struct hs_buf *b);
int hs_parse_certificate_verify(struct hs_conn *c, struct hs_cur *body);
int hs_choose_sig(struct hs_conn *c);
int hs_pick_sig(struct hs_conn *c);
/* finished.c */
int hs_build_finished(struct hs_conn *c, struct hs_buf *b);
int hs_parse_finished(struct hs_conn *c, struct hs_cur *body);
/* session.c: the TLS 1.2 ticket extension (RFC 5077 3.2) */
void hs_put_session_ticket12(struct hs_conn *c, struct hs_buf *b);
/* tls12.c */
int hs_negotiate12(struct hs_conn *c, struct hs_ch_info *ch,
		   const uint16_t *suites, size_t n_suites, struct hs_cur *comp);
int hs_build_server_hello12(struct hs_conn *c, struct hs_buf *b);
int hs_parse_server_hello12(struct hs_conn *c, struct hs_cur *exts,
			    const uint8_t *sid, size_t sidlen);
int hs12_parse_server_key_exchange(struct hs_conn *c, struct hs_cur *body);
int hs12_build_server_key_exchange(struct hs_conn *c, struct hs_buf *b);
int hs12_parse_server_hello_done(struct hs_conn *c, struct hs_cur *body);
int hs12_build_server_hello_done(struct hs_conn *c, struct hs_buf *b);
int hs12_parse_client_key_exchange(struct hs_conn *c, struct hs_cur *body);
int hs12_build_client_key_exchange(struct hs_conn *c, struct hs_buf *b);
int hs12_after_key_exchange(struct hs_conn *c);
int hs12_parse_ccs(struct hs_conn *c, struct hs_cur *body);
int hs12_after_ccs_client(struct hs_conn *c);
int hs12_after_ccs_server(struct hs_conn *c);
/* session.c: the TLS 1.2 NewSessionTicket message (RFC 5077 3.3) */
int hs12_parse_new_session_ticket(struct hs_conn *c, struct hs_cur *body);
int hs12_build_new_session_ticket(struct hs_conn *c, struct hs_buf *b);
/* tls12.c */
int hs12_after_server_finished(struct hs_conn *c);
int hs12_after_client_finished(struct hs_conn *c);
int hs12_keys_from_master(struct hs_conn *c);

#endif
