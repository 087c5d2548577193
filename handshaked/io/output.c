// SPDX-License-Identifier: GPL-2.0
/* The engine's output onto a socket (output.h). */
#include <errno.h>
#include <sys/socket.h>

#include "handshaked/io/output.h"

int hsd_send_output(struct hs_conn *tls, int fd, int flags)
{
	const uint8_t *p;
	size_t n;
	ssize_t w;

	while ((n = hs_output(tls, &p))) {
		w = send(fd, p, n, flags | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EPIPE;
		hs_output_consumed(tls, (size_t)w);
	}
	return 1;
}
