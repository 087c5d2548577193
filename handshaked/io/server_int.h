/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file server's insides, shared by server.c (threads, rings, the
 * connection pool, deadlines) and server_conn.c (one connection's life:
 * handshake, path, requests, responses, close).
 */
#ifndef HSD_SERVER_INT_H
#define HSD_SERVER_INT_H

#include <arpa/inet.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "handshaked/http/http.h"
#include "handshaked/io/files.h"
#include "handshaked/io/path.h"
#include "handshaked/io/peer.h"
#include "handshaked/io/server.h"
#include "handshaked/tls/tls.h"

enum op {
	OP_ACCEPT = 1, OP_RECV, OP_RECVMSG, OP_SEND, OP_SPLICE_IN, OP_SPLICE_OUT,
	OP_READ, OP_POLL, OP_POLL_OUT, OP_TICK, OP_WAKE, OP_CANCEL,
	OP_SPLICE_LINK,	/* a splice in linked to the splice out after it */
	OP_KH,		/* the thread's ktlsh socket is readable (events) */
};

/* user_data: op in bits 56..63, generation 32..55, slot 0..31 */
#define UD(op, gen, slot) ((uint64_t)(op) << 56 | \
			   (uint64_t)((gen) & 0xffffff) << 32 | (slot))
#define UD_OP(u) ((enum op)((u) >> 56))
#define UD_GEN(u) ((uint32_t)((u) >> 32) & 0xffffff)
#define UD_SLOT(u) ((uint32_t)(u))

/* a TLS record and some: what one RECV may bring in user space */
#define RAW_MAX (5 + 16384 + 2048)
/* fallback body chunk: four 16 KiB records per SEND */
#define CHUNK (64 * 1024)
#define HEAD_MAX 1024
#define PIPE_SIZE (1024 * 1024)
#define TICK_MS 250

enum state {
	C_FREE,
	C_HANDSHAKE,	/* engine fed by RECV, its output SENT */
	C_KERNEL,	/* with ktlsh.ko: the kernel's handshake, until its DONE */
	C_DRAIN,	/* kTLS next: the rest of a record already begun */
	C_REQUEST,	/* reading a request head */
	C_RESPOND,	/* head and body going out */
	C_LINGER,	/* our side closed: the peer's last bytes read, dropped */
};

/*
 * close(2) with unread bytes makes the kernel send RST, and a peer that
 * receives RST may lose response bytes it has not read yet: after our
 * close_notify and FIN, what the peer still sends is read and dropped
 * until it closes too, for at most this long.
 */
#define LINGER_MS 2000

/*
 * What a connection needs only while it reads or answers: taken when
 * bytes arrive, given back when it waits for the next request with
 * nothing buffered (POLL, not a RECV with a buffer), so an idle
 * connection costs its struct conn and its engine's keys, not these.
 */
struct conn_io {
	uint8_t raw[RAW_MAX];		/* TLS bytes not yet given to the engine */
	/*
	 * Plaintext, requests not yet answered: a head (at most
	 * HTTP_HEAD_MAX) and a whole record of pipelined ones after it.
	 */
	uint8_t req[HTTP_HEAD_MAX + 16384 + 256];
	char head[HEAD_MAX];		/* the response head */
	struct http_request r;		/* the request being answered */
};

/* conn_io kept for reuse per worker; beyond, freed and trimmed */
#define IO_CACHE 16
/*
 * kTLS bodies go through a pipe, taken for a response and given back
 * empty after it: pipes (their slots count against the user's pipe pages,
 * fs/pipe-user-pages-soft) scale with responses in flight, not with open
 * connections. Beyond this many spare ones per thread they are closed.
 */
#define PIPE_CACHE 64

struct spare_pipe {
	int fd[2];
	unsigned int size;
};

struct conn {
	enum state st;
	uint32_t gen;
	int fd;
	bool busy;			/* an operation in flight */
	bool ktls_tx, ktls_rx;
	bool shut;			/* shutdown() by a deadline or stop */
	bool keep;			/* another request may follow */
	bool in_head;			/* a request head has begun */
	bool reset;			/* the peer reset or the socket failed */
	const char *end_why;		/* why it ends, while lingering */
	struct hs_conn *tls;		/* NULL with the kernel's handshake */
	/* the kernel's handshake (C_KERNEL, then what it agreed) */
	uint32_t kh_id;
	uint16_t kh_version, kh_cipher;
	size_t kh_record;		/* its TX record size, for the count */
	bool kh_peer_closed;		/* the peer's close_notify, no engine */
	struct hsd_path path;
	uint64_t tx_records;		/* kTLS: records under this TX key */
	struct conn_io *io;		/* NULL while parked */
	uint64_t quiet_since;		/* a read with nothing buffered since */
	bool parking;			/* its cancel is on the way */
	unsigned int parks;		/* times parked (the -v line) */
	size_t raw_len;
	size_t req_len, req_hw;		/* high-water mark: what to wipe */
	enum op op;			/* the one in flight, when busy */
	size_t head_len, head_off;
	int file;
	int file_slot;			/* its hsd_file_cache slot, or -1 */
	uint64_t off, left;		/* body still to go */
	int pipe[2];
	unsigned int pipe_size;		/* what F_SETPIPE_SZ gave */
	size_t piped;			/* in the pipe, not yet in the socket */
	size_t piped_head;		/* of which the response head */
	/* a splice in linked to the splice out in flight (respond_ktls) */
	bool linked, link_failed;
	int link_res;			/* its result, when it failed */
	size_t link_len;
	int buf;			/* fallback: registered buffer, or -1 */
	struct msghdr msg;
	struct iovec iov;
	uint8_t cbuf[CMSG_SPACE(sizeof(uint8_t))];
	uint64_t deadline, start;
	uint64_t bytes;			/* body bytes sent */
	unsigned int requests;
	int status;			/* of the last response */
	char peer[HSD_PEER_NAME_MAX];
};

struct worker {
	const struct hsd_server_opts *o;
	/*
	 * o->tls with this thread's random bytes: a page of them from one
	 * libcrypto call, not a call per handshake (a pool is one thread's)
	 */
	struct hs_config tls;
	struct hsd_rand_pool *rand_pool;
	struct io_uring ring;
	unsigned int ring_flags;	/* IORING_SETUP_* it has */
	pthread_t th;
	int lfd, wake, rootfd;
	struct conn *c;
	unsigned int n, *free_slots, n_free, active;
	uint8_t *bufs;			/* CHUNK each, registered if it could */
	bool registered;		/* RLIMIT_MEMLOCK may say no: plain READ */
	bool accept_paused;		/* at the fd limit: re-armed by the tick */
	int *free_bufs, n_free_bufs, n_bufs;
	struct conn_io *io_cache[IO_CACHE];
	unsigned int n_io_cache;
	struct spare_pipe pipes[PIPE_CACHE];
	unsigned int n_pipes;
	long page;			/* a pipe slot holds this much */
	unsigned int freed;		/* conn_io and engine buffers since a trim */
	uint8_t sink[RAW_MAX];		/* lingering connections' dropped bytes */
	struct hsd_file_cache files;
	/*
	 * The kernel's handshake: this thread's ktlsh socket (its requests'
	 * DONE events come to it alone), and its sockets' slots by fd.
	 */
	struct hsd_kh *kh;
	bool kh_armed;
	int *kh_slot;
	unsigned int kh_slot_cap;
	uint64_t tick_ts;
	struct __kernel_timespec tick;
	uint64_t wake_v;
	bool stopping, accepting;
	uint64_t stop_deadline;
	int err;
};

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline struct io_uring_sqe *sqe(struct worker *w)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&w->ring);

	if (!s) {
		io_uring_submit(&w->ring);
		s = io_uring_get_sqe(&w->ring);
	}
	return s;	/* the ring has room for every connection's one op */
}

static inline uint64_t ud(struct worker *w, struct conn *c, enum op op)
{
	return UD(op, c->gen, (uint32_t)(c - w->c));
}

/* server.c: the -v line of a connection that ends, a response's log line */
void srv_log_conn(struct worker *w, struct conn *c, const char *end);
void srv_access_write(struct worker *w, struct conn *c, uint64_t len);

/* the access log's line, if there is a log: its 32 KiB frame only then */
static inline void srv_access_line(struct worker *w, struct conn *c, uint64_t len)
{
	if (w->o->access_log >= 0)
		srv_access_write(w, c, len);
}
/* a 408 to a head that never finished, best effort, before the close */
void srv_say_408(struct conn *c);

/* server_conn.c: a connection, from its accepted socket to its close */
void srv_conn_start(struct worker *w, struct conn *c, int fd);
void srv_conn_event(struct worker *w, struct conn *c, enum op op, int res);
/* the tick: its deadlines, a wait for a buffer */
void srv_conn_tick(struct worker *w, struct conn *c, uint64_t now,
		   bool grace_over);
void srv_conn_free(struct worker *w, struct conn *c, const char *end);
/* its pipe back to the thread's spares (@spare, and empty) or closed */
void srv_pipe_put(struct worker *w, struct conn *c, bool spare);
void srv_file_put(struct worker *w, struct conn *c);
/* the ktlsh socket readable: each HANDSHAKE-DONE to its connection */
void srv_kh_events(struct worker *w);
/* a connection's conn_io: taken (0 or -ENOMEM), given back (wiped) */
int srv_io_get(struct worker *w, struct conn *c);
void srv_io_put(struct worker *w, struct conn *c);

#endif
