/* SPDX-License-Identifier: GPL-2.0 */
/* Resumption: sessions, TLS 1.2 IDs and tickets, TLS 1.3 tickets. */
#ifndef HS_SESSION_H
#define HS_SESSION_H

#include "handshaked/tls/internal.h"
#include "handshaked/tls/ext.h"

int hs_resume12_server(struct hs_conn *c, struct hs_ch_info *ch,
		       const uint16_t *suites, size_t n_suites);
int hs_resume12_client(struct hs_conn *c, const uint8_t *sid, size_t sidlen);
int hs_session_new_id12(struct hs_conn *c);
int hs_session_save12(struct hs_conn *c);
/* client: a resumed session kept, with a renewed ticket (RFC 5077 3.3) */
int hs_session_keep12(struct hs_conn *c);

/* Seal / open session state in a ticket. */
int hs_ticket_seal(struct hs_ticket_keys *tk, const struct hs_session *s,
		   uint8_t *out, size_t cap, size_t *len);
int hs_ticket_open(struct hs_ticket_keys *tk, const uint8_t *t, size_t n,
		   struct hs_session *s);
/* ticket_lifetime of the tickets these keys seal (RFC 8446 4.6.1) */
uint32_t hs_ticket_lifetime(const struct hs_ticket_keys *tk);
uint64_t hs_now(const struct hs_conn *c);
/* session_cache.c: the TLS 1.2 cache by session ID */
void hs_cache_store(struct hs_session_cache *sc, const struct hs_session *s);
int hs_cache_find(struct hs_session_cache *sc, const uint8_t *id, size_t n,
		  struct hs_session *out);
/* TLS 1.3: a resumption PSK from a ticket identity; 0, or -ENOKEY */
int hs13_ticket_psk(struct hs_conn *c, const uint8_t *id, size_t n,
		    struct hs_psk *out, struct hs_session *s);
/* TLS 1.3 server: queue the NewSessionTickets after the handshake */
bool hs13_will_send_tickets(const struct hs_conn *c);
int hs13_send_tickets(struct hs_conn *c);

#endif
