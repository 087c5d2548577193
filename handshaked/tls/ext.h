/* SPDX-License-Identifier: GPL-2.0 */
/* TLS extensions (RFC 8446 4.2, RFC 5246 7.4.1.4 and their own RFCs). */
#ifndef HS_EXT_H
#define HS_EXT_H

#include "handshaked/tls/internal.h"

enum hs_ext_type {
	HS_EXT_SERVER_NAME = 0,
	HS_EXT_SUPPORTED_GROUPS = 10,
	HS_EXT_EC_POINT_FORMATS = 11,
	HS_EXT_SIGNATURE_ALGORITHMS = 13,
	HS_EXT_ALPN = 16,
	HS_EXT_EXTENDED_MASTER_SECRET = 23,
	HS_EXT_RECORD_SIZE_LIMIT = 28,
	HS_EXT_SESSION_TICKET = 35,
	HS_EXT_PRE_SHARED_KEY = 41,
	HS_EXT_EARLY_DATA = 42,
	HS_EXT_SUPPORTED_VERSIONS = 43,
	HS_EXT_COOKIE = 44,
	HS_EXT_PSK_KEY_EXCHANGE_MODES = 45,
	HS_EXT_CERTIFICATE_AUTHORITIES = 47,
	HS_EXT_SIGNATURE_ALGORITHMS_CERT = 50,
	HS_EXT_KEY_SHARE = 51,
	HS_EXT_RENEGOTIATION_INFO = 0xff01,
};

/* where an extension may appear (RFC 8446 4.2 table) */
enum hs_ext_ctx {
	X_CH = 1 << 0,
	X_SH = 1 << 1,	/* TLS 1.3 ServerHello */
	X_HRR = 1 << 2,
	X_EE = 1 << 3,
	X_CR = 1 << 4,
	X_CT = 1 << 5,	/* Certificate entry */
	X_NST = 1 << 6,
	X_SH12 = 1 << 7,	/* TLS 1.2 ServerHello */
};

/* What a ClientHello offered, parsed by the server. */
struct hs_ch_info {
	bool have_versions, have_groups, have_sigs, have_key_share;
	bool have_psk, have_psk_modes, have_cookie, early_data;
	bool psk_dhe_ke, psk_ke;
	uint16_t versions[16];
	size_t n_versions;
	struct hs_cur key_shares;	/* KeyShareEntry list */
	struct hs_cur groups;		/* supported_groups, all of it */
	struct hs_cur identities;	/* PskIdentity list */
	struct hs_cur binders;		/* PskBinderEntry list */
	size_t binders_off;		/* offset of binders in the body */
	const uint8_t *cookie;
	size_t cookie_len;
	const uint8_t *alpn;		/* ProtocolNameList body */
	size_t alpn_len;
	const uint8_t *ticket12;	/* session_ticket contents */
	size_t ticket12_len;
	uint16_t record_size_limit;
};

/* What a ServerHello/HRR/EE said, parsed by the client. */
struct hs_sh_info {
	uint16_t version;	/* supported_versions, 0 if absent */
	uint16_t group;		/* key_share group */
	struct hs_cur share;	/* key_exchange */
	bool have_key_share, have_psk, have_cookie, ems, reneg, ticket;
	uint16_t psk_index;
	const uint8_t *cookie;
	size_t cookie_len;
};

struct hs_ext_walk {
	enum hs_ext_ctx ctx;
	struct hs_ch_info *ch;
	struct hs_sh_info *sh;
	const uint8_t *msg;	/* start of the message body (binder offsets) */
};

/*
 * Walk an extensions block: rejects duplicates (illegal_parameter),
 * extensions not allowed in the message, unsolicited ones in server
 * messages (unsupported_extension), pre_shared_key not last; calls each
 * extension's parser.
 */
int hs_ext_parse(struct hs_conn *c, struct hs_cur *exts, struct hs_ext_walk *w);

/* Client: we sent extension @type (so the server may answer it). */
void hs_ext_mark_sent(struct hs_conn *c, uint16_t type);
bool hs_ext_was_sent(const struct hs_conn *c, uint16_t type);

#endif
