/* SPDX-License-Identifier: GPL-2.0 */
/* A socket's peer as logs show it: the one copy of that formatting. */
#ifndef HSD_PEER_H
#define HSD_PEER_H

#include <stddef.h>

/* 64 bytes hold any: "[v6 address]:port" */
#define HSD_PEER_NAME_MAX 64

/*
 * "192.0.2.1:443", "[2001:db8::1]:443"; an IPv4-mapped IPv6 peer (a dual
 * stack listener's IPv4 client) as IPv4; "?:0" when there is none.
 */
void hsd_peer_name(int fd, char *out, size_t cap);

#endif
