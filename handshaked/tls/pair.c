// SPDX-License-Identifier: GPL-2.0
/*
 * Two engines joined in memory: one loop that hands each side's output to
 * the other, for the daemon's warm-up handshake, the tests and the
 * benchmarks. No I/O: the bytes never leave the process.
 */
#include <errno.h>

#include "handshaked/tls/tls.h"

/*
 * Rounds are bounded: a handshake takes at most a few flights each way
 * (RFC 8446 2: three with an HRR), so 64 rounds without both ends done
 * means neither will be.
 */
#define PUMP_ROUNDS 64

int hs_pump(struct hs_conn *cl, struct hs_conn *sv, hs_pump_seen_fn seen,
	    void *arg)
{
	struct hs_conn *from[2] = { cl, sv }, *to[2] = { sv, cl };
	const uint8_t *p;
	size_t n, used;
	int i, moved = 1, rounds = 0;

	while (moved && rounds++ < PUMP_ROUNDS) {
		moved = 0;
		for (i = 0; i < 2; i++) {
			n = hs_output(from[i], &p);
			if (!n || hs_is_done(to[i]))
				continue;
			/* only what the engine took: the rest is record data */
			hs_input(to[i], p, n, &used);
			if (seen)
				seen(arg, i == 0, p, used);
			hs_output_consumed(from[i], used);
			moved |= used > 0;
		}
		if (hs_is_done(cl) && hs_is_done(sv))
			return 0;
	}
	return hs_is_done(cl) && hs_is_done(sv) ? 0 : -EPROTO;
}
