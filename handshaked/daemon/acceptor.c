// SPDX-License-Identifier: GPL-2.0
/*
 * Requests are taken from the kernel on a thread of its own.
 *
 * The kernel lets few requests wait un-accepted (3 to 50 per network
 * namespace, one per 400 MiB of RAM); beyond that a consumer's connect or
 * mount fails at once (-EAGAIN from handshake_req_submit). A burst of
 * connections (NVMe/TCP queues, a mount storm after a reboot) submits
 * faster than that while the loop is inside a handshake's cryptography:
 * under emulation a server's ClientHello takes ~2 ms, and nvmet submitted
 * 50 in less than that (a bench burst saw one refused with the loop
 * taking requests between every two handshake steps). Here one thread
 * does nothing but wait for READY (and a timer, so a lost multicast strands
 * nothing) and ACCEPT: a taken request no longer counts against the limit.
 * Taken requests queue for the loop, which starts them (an eventfd wakes
 * it); taken-and-unfinished requests stay within max_inflight.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include "handshaked/daemon/daemon.h"

/* ACCEPTs in the first write of a round: a loopback request's two ends */
#define ACCEPT_FIRST 4
#define ACCEPT_BATCH HSD_ACCEPT_BATCH_MAX
/* taken requests the loop has not started yet */
#define QUEUE_MAX 512
/* full (max_inflight reached): look again this often */
#define FULL_RETRY_MS 10

struct hsd_acceptor {
	struct hsd_daemon *d;
	struct hsd_upcall *nl;		/* READY and ACCEPT: this thread's */
	pthread_t th;
	int wake;			/* eventfd: requests for the loop */
	int stop;			/* eventfd: end the thread */
	pthread_mutex_t lock;
	/*
	 * q[head..tail) is the loop's to read; ACCEPT replies are decoded
	 * straight into q[tail..) by this thread, then published by moving
	 * tail: a request is copied once more, into its slot (agent.c).
	 * Both indices move under @lock; the two ranges never overlap, and
	 * the queue restarts at 0 only when the loop has released it all.
	 */
	struct hsd_accept q[QUEUE_MAX];
	unsigned int head, tail;
	int st[ACCEPT_BATCH];		/* one round's statuses */
	uint64_t empty;			/* ACCEPTs answered -EAGAIN */
	/* the configuration's, as at start (SIGHUP does not change them) */
	unsigned int max_inflight, poll_ms;
};

/*
 * Keep what ACCEPT handed over in a[0..n): malformed replies get DONE
 * EINVAL. Returns how many were kept; *empty says whether the kernel ran
 * out (an -EAGAIN: it had no request left for one of these ACCEPTs).
 */
static unsigned int keep_accepted(struct hsd_acceptor *x, struct hsd_accept *a,
				  const int *status, unsigned int n, bool *empty)
{
	uint64_t now = hsd_now_us();
	unsigned int i, k = 0;

	*empty = false;
	for (i = 0; i < n; i++) {
		a[i].taken_us = now;
		if (status[i] == -EBADMSG) {
			hsd_log(x->d, LOG_ERR, "handshaked: malformed ACCEPT reply");
			if (a[i].sockfd < 0)
				continue;	/* nothing to answer */
			/* the loop answers it: DONE is sent in one place */
			a[i].malformed = true;
			a[k++] = a[i];
			continue;
		}
		if (status[i] == -EAGAIN) {
			x->empty++;
			*empty = true;
			continue;
		}
		if (status[i]) {
			hsd_log(x->d, LOG_ERR, "handshaked: ACCEPT: %s",
				strerror(-status[i]));
			continue;
		}
		a[k++] = a[i];
	}
	return k;
}

/* hand q[tail..tail + n) to the loop */
static void publish(struct hsd_acceptor *x, unsigned int n)
{
	uint64_t one = 1;

	pthread_mutex_lock(&x->lock);
	x->tail += n;
	pthread_mutex_unlock(&x->lock);
	if (write(x->wake, &one, sizeof(one)) < 0)
		hsd_log(x->d, LOG_ERR, "handshaked: acceptor: wake: %s",
			strerror(errno));
}

/*
 * Take requests until the kernel has none: a write of 4 ACCEPTs, then of
 * 32 while every one finds a request; the first -EAGAIN ends it (the
 * kernel processes every ACCEPT of a write before answering, so a lone
 * request or the two ends of a loopback one cost a few refusals, not a
 * batch of them, and a burst is taken in writes of 32). Returns true when
 * it stopped for lack of room (max_inflight, or the loop's queue), to
 * look again soon.
 */
static bool take_round(struct hsd_acceptor *x)
{
	struct hsd_daemon *d = x->d;
	unsigned int want = ACCEPT_FIRST, room, n, space, busy, base;
	bool empty = false;
	int r;

	while (!empty) {
		busy = atomic_load(&d->taken);
		room = busy < x->max_inflight ? x->max_inflight - busy : 0;
		pthread_mutex_lock(&x->lock);
		if (x->head == x->tail)
			x->head = x->tail = 0;
		base = x->tail;
		space = QUEUE_MAX - base;
		pthread_mutex_unlock(&x->lock);
		if (room > space)
			room = space;
		if (!room)
			return true;
		if (want > room)
			want = room;
		r = hsd_upcall_accept_batch(x->nl, &x->q[base], x->st, want);
		if (r) {
			hsd_log(d, LOG_ERR, "handshaked: ACCEPT: %s", strerror(-r));
			return false;
		}
		n = keep_accepted(x, &x->q[base], x->st, want, &empty);
		if (n) {
			atomic_fetch_add(&d->taken, n);
			publish(x, n);
		}
		/* a full first write: a burst, take it whole */
		want = ACCEPT_BATCH;
	}
	return false;
}

static void *run(void *arg)
{
	struct hsd_acceptor *x = arg;
	struct pollfd p[2] = {
		{ .fd = hsd_upcall_fd(x->nl), .events = POLLIN },
		{ .fd = x->stop, .events = POLLIN },
	};
	struct sched_param sp = { .sched_priority = 1 };
	bool full;
	int r;

	pthread_setname_np(pthread_self(), "hsd-acceptor");
	/*
	 * SCHED_FIFO 1 (within RLIMIT_RTPRIO, no capability): a READY must
	 * wake this thread at once, not after the loop's or the consumers'
	 * time slice. A burst measured without it (nvmet submitting 200, one
	 * every 0.08 ms): accepts came in clusters up to 9 ms apart, and the
	 * 50 un-accepted slots overflowed in 1 of 8 bursts. It runs only to
	 * ACCEPT, and the kernel's RT throttling bounds even that.
	 */
	r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (r)
		hsd_log(x->d, LOG_DEBUG, "handshaked: acceptor: no real-time priority (%s): it runs at the daemon's nice",
			strerror(r));

	for (;;) {
		full = take_round(x);
		r = poll(p, 2, full ? FULL_RETRY_MS : (int)x->poll_ms);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && (p[1].revents & POLLIN))
			break;
		if (r > 0 && (p[0].revents & POLLIN))
			hsd_upcall_drain(x->nl);
		/* READY, the timer or room again: look */
	}
	return NULL;
}

int hsd_acceptor_start(struct hsd_daemon *d, struct hsd_upcall *nl,
		       struct hsd_acceptor **out)
{
	struct hsd_acceptor *x = calloc(1, sizeof(*x));
	int e;

	if (!x)
		return -ENOMEM;
	x->d = d;
	x->nl = nl;
	x->max_inflight = d->cfg.max_inflight;
	x->poll_ms = d->cfg.poll_ms;
	x->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	x->stop = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&x->lock, NULL);
	e = x->wake < 0 || x->stop < 0 ? errno : 0;
	if (!e)
		e = pthread_create(&x->th, NULL, run, x);
	if (e) {
		if (x->wake >= 0)
			close(x->wake);
		if (x->stop >= 0)
			close(x->stop);
		pthread_mutex_destroy(&x->lock);
		free(x);
		return -e;
	}
	*out = x;
	return 0;
}

int hsd_acceptor_fd(const struct hsd_acceptor *x)
{
	return x->wake;
}

unsigned int hsd_acceptor_peek(struct hsd_acceptor *x,
			       struct hsd_accept **first)
{
	unsigned int n;
	uint64_t v;

	if (read(x->wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
		hsd_log(x->d, LOG_ERR, "handshaked: acceptor: %s", strerror(errno));
	pthread_mutex_lock(&x->lock);
	n = x->tail - x->head;
	*first = &x->q[x->head];
	pthread_mutex_unlock(&x->lock);
	return n;
}

void hsd_acceptor_release(struct hsd_acceptor *x, unsigned int n)
{
	pthread_mutex_lock(&x->lock);
	x->head += n;
	pthread_mutex_unlock(&x->lock);
}

void hsd_acceptor_stop(struct hsd_acceptor *x)
{
	uint64_t one = 1;

	if (!x || x->stop < 0)
		return;
	if (write(x->stop, &one, sizeof(one)) == sizeof(one))
		pthread_join(x->th, NULL);
	close(x->stop);
	x->stop = -1;
}

uint64_t hsd_acceptor_empty(const struct hsd_acceptor *x)
{
	return x ? x->empty : 0;
}

void hsd_acceptor_free(struct hsd_acceptor *x)
{
	if (!x)
		return;
	hsd_acceptor_stop(x);
	close(x->wake);
	pthread_mutex_destroy(&x->lock);
	hsd_upcall_close(x->nl);
	free(x);
}
