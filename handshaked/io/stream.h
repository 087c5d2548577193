/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A stream: a TLS connection's socket after its handshake, records in the
 * kernel (kTLS) when it can, in user space (the engine's record layer)
 * when it cannot, behind one API. (The engine's own state is struct
 * hs_conn; the daemon's upcall request is struct hsd_request.)
 */
#ifndef HSD_STREAM_H
#define HSD_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "handshaked/io/path.h"

struct hsd_stream;

/*
 * Take over @fd and the finished handshake @tls (both owned by the
 * connection from now on) with @pending, bytes already read past the
 * handshake. Decides kTLS or fallback before any key is set.
 */
int hsd_stream_new(int fd, struct hs_conn *tls, const uint8_t *pending,
		 size_t n, const struct hsd_path_opts *o, struct hsd_stream **out);
/* 1 when records of that direction go through the kernel */
bool hsd_stream_ktls(const struct hsd_stream *c, bool tx);
/* why the connection is where it is, for logs */
const char *hsd_stream_why(const struct hsd_stream *c);

ssize_t hsd_stream_send(struct hsd_stream *c, const void *p, size_t n);
/* >0 data, 0 at close_notify, -errno (the alert's errno for a fatal one) */
ssize_t hsd_stream_recv(struct hsd_stream *c, void *p, size_t n);
ssize_t hsd_stream_sendfile(struct hsd_stream *c, int in_fd, off_t *off,
			  size_t n);
/*
 * TLS 1.3: send a KeyUpdate now (asking the peer to update too if
 * @request) and switch to the next key; also done automatically before
 * the AEAD usage limit (RFC 8446 5.5). With kTLS it needs 6.14+.
 */
int hsd_stream_key_update(struct hsd_stream *c, bool request);
/* close_notify (once), the socket stays open for reading */
int hsd_stream_shutdown(struct hsd_stream *c);
/* close_notify, then close(2) and free */
int hsd_stream_close(struct hsd_stream *c);
/*
 * Data, the peer's close or an error already read from the socket, which
 * poll(2) cannot see: hsd_stream_recv() returns at once. Control records
 * already read (tickets, KeyUpdate) are handled on the way.
 */
bool hsd_stream_buffered(struct hsd_stream *c);
/* the engine, e.g. for hs_get_session() */
struct hs_conn *hsd_stream_tls(struct hsd_stream *c);

#endif
