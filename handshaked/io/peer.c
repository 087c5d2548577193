// SPDX-License-Identifier: GPL-2.0
/* A socket's peer as logs show it (peer.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include "handshaked/io/peer.h"

void hsd_peer_name(int fd, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;
	bool v6 = false;

	if (!getpeername(fd, (struct sockaddr *)&ss, &sl)) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			v6 = !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
			if (v6)
				inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
			else
				inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], a,
					  sizeof(a));
			port = ntohs(s6->sin6_port);
		} else if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
			port = ntohs(s4->sin_port);
		}
	}
	snprintf(out, cap, v6 ? "[%s]:%u" : "%s:%u", a, port);
}
