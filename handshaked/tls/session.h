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

#endif
