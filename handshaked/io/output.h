/* SPDX-License-Identifier: GPL-2.0 */
/* The engine's output onto a socket: the one copy of that loop. */
#ifndef HSD_OUTPUT_H
#define HSD_OUTPUT_H

#include "handshaked/tls/tls.h"

/*
 * Send what @tls has queued for the peer on @fd with send(2) @flags
 * (MSG_NOSIGNAL added): 1 when everything went, 0 when a non-blocking
 * socket filled up (the rest stays queued), -errno on failure (-EPIPE
 * when the socket took nothing).
 */
int hsd_send_output(struct hs_conn *tls, int fd, int flags);

#endif
