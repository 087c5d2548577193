// SPDX-License-Identifier: GPL-2.0
/* The daemon's log lines (stderr or syslog) and its clock. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "handshaked/daemon/daemon.h"

uint64_t hsd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void hsd_log(const struct hsd_daemon *d, int level, const char *fmt, ...)
{
	va_list ap;

	if (level >= LOG_DEBUG && !d->verbose)
		return;
	va_start(ap, fmt);
	if (d->syslog) {
		vsyslog(level, fmt, ap);
	} else {
		/* a line at a time: the acceptor thread logs too */
		flockfile(stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	va_end(ap);
}
