/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The io_uring file server: HTTPS over our engine, records through kTLS
 * (file bodies spliced) or the user-space record layer, decided per
 * connection. One ring per thread, each with its own SO_REUSEPORT
 * listener, connections from a fixed pool.
 */
#ifndef HSD_SERVER_H
#define HSD_SERVER_H

#include <stdio.h>

#include "handshaked/io/path.h"
#include "handshaked/kernel/ktlsh_nl.h"
#include "handshaked/tls/tls.h"

struct hsd_server_opts {
	const char *root;		/* served directory */
	int port;
	unsigned int threads;		/* 0: one per online CPU */
	const struct hs_config *tls;	/* server role, shared by the threads */
	/*
	 * Non-NULL: the kernel does each handshake. Every accepted socket
	 * goes to ktlsh.ko with these parameters (role server), handshaked
	 * answers the upcall and installs the kTLS keys, and the socket
	 * comes back encrypted: this process never holds a traffic key, and
	 * @tls is not used. The module must be loaded and a daemon running.
	 */
	const struct hsd_kh_params *kernel_handshake;
	struct hsd_path_opts path;	/* kTLS or not: configuration */
	unsigned int max_conns;		/* over all threads */
	/* deadlines, ms */
	unsigned int handshake_ms;	/* accept to Finished */
	unsigned int header_ms;		/* a request's first byte to its head */
	unsigned int idle_ms;		/* keep-alive between requests */
	unsigned int write_ms;		/* without progress sending */
	unsigned int grace_ms;		/* after stop: responses in flight */
	/* open files reused for this long (hsd_file_cache), 0: off */
	unsigned int file_cache_ms;
	int verbose;			/* a line per connection on @log */
	FILE *log;
	int access_log;			/* common log format, -1: none */
	/*
	 * Tests: TLS 1.3 over kTLS rekeys after this many records instead
	 * of near the AEAD's limit (RFC 8446 5.5), and a kernel that cannot
	 * rekey keeps such connections in user space. 0: the AEAD's limit.
	 */
	uint64_t rekey_records;
	/* readable: stop accepting, finish responses (e.g. a signalfd) */
	int stop_fd;
	/* ready: called once every thread listens (e.g. to say "listening") */
	void (*ready)(void *arg, int port);
	void *ready_arg;
};

/* Serve until @o->stop_fd is readable and the grace ends: 0 or -errno. */
int hsd_server_run(const struct hsd_server_opts *o);

#endif
