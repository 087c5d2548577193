// SPDX-License-Identifier: GPL-2.0
/* Resumption (RFC 5246 7.3, RFC 5077, RFC 8446 4.6.1). */
#include <string.h>

#include "handshaked/tls/hello.h"
#include "handshaked/tls/session.h"

int hs_resume12_server(struct hs_conn *c, struct hs_ch_info *ch,
		       const uint16_t *suites, size_t n_suites)
{
	/* nothing to resume from without a cache or ticket keys */
	if (!c->cfg.session_cache && !c->cfg.ticket_keys)
		return 0;
	return 0;
}

int hs_resume12_client(struct hs_conn *c, const uint8_t *sid, size_t sidlen)
{
	return 0;
}

int hs_session_new_id12(struct hs_conn *c)
{
	c->session_id_len = 0;
	return 0;
}

int hs_session_save12(struct hs_conn *c)
{
	return 0;
}

void hs_put_session_ticket12(struct hs_conn *c, struct hs_buf *b)
{
}

int hs12_parse_new_session_ticket(struct hs_conn *c, struct hs_cur *body)
{
	return hs_fail(c, HS_ALERT_UNEXPECTED_MESSAGE, -EPROTO,
		       "NewSessionTicket not asked for");
}

int hs12_build_new_session_ticket(struct hs_conn *c, struct hs_buf *b)
{
	return hs_fail(c, HS_ALERT_INTERNAL_ERROR, -EINVAL, "no ticket keys");
}
