/* SPDX-License-Identifier: GPL-2.0 */
/* In-memory client <-> server helpers for the engine tests. */
#ifndef HSD_TEST_COMMON_H
#define HSD_TEST_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handshaked/tls/tls.h"

#ifndef HSD_CERTS
#define HSD_CERTS "selftests/certs"
#endif

struct trace {
	char log[2048];
};

static inline void trace_cb(void *arg, bool sent, uint8_t ct, uint8_t mt)
{
	struct trace *t = arg;
	size_t n = strlen(t->log);

	snprintf(t->log + n, sizeof(t->log) - n, "%s%s%u", n ? " " : "",
		 sent ? ">" : "<", ct == 20 ? 20 : mt);
}

struct cred {
	struct hsd_cert_chain chain;
	struct hsd_pkey *key;
};

static inline int cred_load(const struct hsd_crypto *cr, const char *name,
			    struct cred *out)
{
	char p[512];
	int err;

	snprintf(p, sizeof(p), "%s/%s.pem", HSD_CERTS, name);
	err = hsd_cert_chain_load(p, &out->chain);
	if (err)
		return err;
	snprintf(p, sizeof(p), "%s/%s.key", HSD_CERTS, name);
	return hsd_pkey_load_private(cr, p, &out->key);
}

static inline void cred_free(struct cred *c)
{
	hsd_cert_chain_clear(&c->chain);
	hsd_pkey_free(c->key);
	memset(c, 0, sizeof(*c));
}

/* what crossed the wire during pump_wire(), each direction's record types */
struct wire {
	char to_server[256], to_client[256];
};

/* "22 20 22 23": the content type of each whole record in @p */
static inline void wire_types(char *log, size_t cap, const uint8_t *p, size_t n)
{
	size_t off = 0, len = strlen(log);

	while (off + 5 <= n) {
		size_t rl = (size_t)p[off + 3] << 8 | p[off + 4];

		if (off + 5 + rl > n)
			break;
		len += (size_t)snprintf(log + len, cap > len ? cap - len : 0,
					"%s%u", len ? " " : "", p[off]);
		off += 5 + rl;
	}
}

static inline void wire_seen(void *arg, bool to_server, const uint8_t *p,
			     size_t n)
{
	struct wire *w = arg;

	if (to_server)
		wire_types(w->to_server, sizeof(w->to_server), p, n);
	else
		wire_types(w->to_client, sizeof(w->to_client), p, n);
}

/*
 * Run the handshake in memory (hs_pump()). With @w, the record types that
 * went each way are logged (whole records: the engines' output is
 * record-aligned, and each call hands over what one call produced).
 */
static inline int pump_wire(struct hs_conn *cl, struct hs_conn *sv,
			    struct wire *w)
{
	return hs_pump(cl, sv, w ? wire_seen : NULL, w) ? -1 : 0;
}

static inline int pump(struct hs_conn *cl, struct hs_conn *sv)
{
	return pump_wire(cl, sv, NULL);
}

/*
 * Whether the stack below the caller's frame, where the frames of the
 * calls it just made were, still holds @secret: secrets on the stack are
 * wiped on every path, failures included. (Binaries link with -z now: a
 * lazy PLT binding saves the vector registers, which hold whatever the
 * last memcpy moved, onto the stack, beyond any wipe of ours.)
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
static __attribute__((noinline, unused)) bool stack_holds(const uint8_t *secret,
						  size_t n)
{
	/* what the earlier frames left: probe is never written */
	volatile uint8_t probe[128 * 1024];
	size_t i, j;

	for (i = 0; i + n <= sizeof(probe); i++) {
		for (j = 0; j < n && probe[i + j] == secret[j]; j++)
			;
		if (j == n)
			return true;
	}
	return false;
}
#pragma GCC diagnostic pop

/* the probe's own check: a frame that leaves a secret behind */
static __attribute__((noinline, unused)) void leave_on_stack(const uint8_t *secret,
						     size_t n)
{
	volatile uint8_t frame[256] __attribute__((unused));
	size_t i;

	for (i = 0; i < n; i++)
		frame[i] = secret[i];
}

#endif
