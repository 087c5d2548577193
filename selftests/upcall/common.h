/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for the upcall tests: sysfs/configfs files and the daemon. */
#ifndef HSD_UPCALL_TEST_COMMON_H
#define HSD_UPCALL_TEST_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HANDSHAKED
#define HANDSHAKED "handshaked/handshaked"
#endif

static inline int put(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, v, strlen(v));
	close(fd);
	return n == (ssize_t)strlen(v) ? 0 : -EIO;
}

static inline int putf(const char *dir, const char *name, const char *v)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return put(p, v);
}

static inline int get(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = 0;
	return 0;
}

static inline int getf(const char *dir, const char *name, char *buf, size_t cap)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return get(p, buf, cap);
}

/* a counter of /proc/net/tls_stat, -1 if absent */
static inline long tls_stat(const char *name)
{
	char line[128], k[64];
	long v, r = -1;
	FILE *f = fopen("/proc/net/tls_stat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", k, &v) == 2 && !strcmp(k, name))
			r = v;
	fclose(f);
	return r;
}

/* a TCP socket of this network namespace runs kTLS 1.3 */
static inline bool ss_shows_tls13(void)
{
	char buf[4096];
	bool seen = false;
	FILE *ss = popen("ss -tni 2>/dev/null", "r");

	if (!ss)
		return false;
	while (fgets(buf, sizeof(buf), ss))
		seen |= strstr(buf, "tcp-ulp-tls version: 1.3") != NULL;
	pclose(ss);
	return seen;
}

struct daemon {
	pid_t pid;
	int netns;		/* > 0: runs in this network namespace (fd) */
	int status;		/* exit status once reaped */
	char log[64];
	char conf[64];
	/* a stop that was not a clean exit, or a sanitizer report: why */
	char unclean[512];
};

/*
 * The daemon under test: HSD_DAEMON (selftests/run-all points it at the
 * ASan+UBSan build for one VM pass) or this build's.
 */
static inline const char *daemon_path(void)
{
	const char *p = getenv("HSD_DAEMON");

	return p && *p ? p : HANDSHAKED;
}

/* the daemon under test is another build (run-all: ASan+UBSan) */
static inline bool daemon_sanitized(void)
{
	return strcmp(daemon_path(), HANDSHAKED) != 0;
}

/*
 * How long to wait for something the daemon logs: only a bound for a
 * hang, each wait returns at the event (a TCG guest running the ASan
 * build is slow; nothing here measures speed)
 */
#define DAEMON_WAIT_MS 20000

static inline const char *daemon_log(const struct daemon *d)
{
	static char buf[65536];
	int fd = open(d->log, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static inline bool daemon_logged(const struct daemon *d, const char *s)
{
	return strstr(daemon_log(d), s) != NULL;
}

/* a line of the log holds both @a and @b */
static inline bool daemon_logged2(const struct daemon *d, const char *a,
				  const char *b)
{
	const char *l = daemon_log(d), *e;

	for (; *l; l = *e ? e + 1 : e) {
		const char *pa, *pb;

		e = strchrnul(l, '\n');
		pa = strstr(l, a);
		pb = strstr(l, b);
		if (pa && pb && pa < e && pb < e)
			return true;
	}
	return false;
}

/* until the daemon has logged @s, at most @ms milliseconds */
static inline bool daemon_wait_logged(const struct daemon *d, const char *s,
				      int ms)
{
	for (; ms > 0; ms -= 20) {
		if (daemon_logged(d, s))
			return true;
		usleep(20000);
	}
	return daemon_logged(d, s);
}

/* (re)write the daemon's config file with @config (NULL: empty) */
static inline int daemon_write_config(const struct daemon *d, const char *config)
{
	size_t n = config ? strlen(config) : 0;
	int fd = open(d->conf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t w = 0;

	if (fd < 0)
		return -errno;
	if (n)
		w = write(fd, config, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -EIO;
}

/* new config and SIGHUP; true once the daemon logged @expect */
static inline bool daemon_reconfigure(const struct daemon *d,
				      const char *config, const char *expect)
{
	if (daemon_write_config(d, config))
		return false;
	kill(d->pid, SIGHUP);
	return daemon_wait_logged(d, expect, DAEMON_WAIT_MS);
}

/* start handshaked -f -v with @config (NULL: empty) and wait until it serves */
static inline int daemon_start(struct daemon *d, const char *config)
{
	int i, fd;

	/* names set by the caller stay (two daemons in one test) */
	if (!d->log[0])
		snprintf(d->log, sizeof(d->log), "/tmp/hsd-daemon-%d.log", getpid());
	if (!d->conf[0])
		snprintf(d->conf, sizeof(d->conf), "/tmp/hsd-daemon-%d.conf", getpid());
	i = daemon_write_config(d, config);
	if (i)
		return i;
	/* empty before the fork: an old "serving" must not count */
	fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (fd < 0)
		return -errno;
	d->pid = fork();
	if (d->pid < 0) {
		close(fd);
		return -errno;
	}
	if (!d->pid) {
		dup2(fd, 2);
		if (d->netns > 0 && setns(d->netns, CLONE_NEWNET))
			_exit(126);
		execl(daemon_path(), "handshaked", "-f", "-v", "-c", d->conf,
		      (char *)NULL);
		_exit(127);
	}
	close(fd);
	for (i = 0; i < 300; i++) {
		if (daemon_logged(d, "serving"))
			return 0;
		if (waitpid(d->pid, &d->status, WNOHANG) == d->pid) {
			d->pid = 0;
			return -ECHILD;
		}
		usleep(50000);
	}
	return -ETIMEDOUT;
}

static inline void daemon_reap(struct daemon *d)
{
	if (d->pid > 0)
		waitpid(d->pid, &d->status, 0);
	d->pid = 0;
}

/* the first line of the whole log (any size) holding @s, or NULL */
static inline char *daemon_log_find(const struct daemon *d, const char *s,
				    char *line, size_t cap)
{
	FILE *f = fopen(d->log, "r");
	char *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, (int)cap, f))
		if (strstr(line, s))
			found = line;
	fclose(f);
	return found;
}

/*
 * After a stop: anything but exit status 0, or a sanitizer's report in
 * the log (ASan, UBSan, LeakSanitizer), is kept in d->unclean (the first
 * one) for the fixture's teardown to fail on.
 */
static inline void daemon_judge_exit(struct daemon *d)
{
	static const char *const reports[] = {
		"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
		"runtime error:", "SUMMARY: UndefinedBehaviorSanitizer", NULL
	};
	char line[256];
	size_t i;

	if (d->unclean[0])
		return;
	for (i = 0; reports[i]; i++) {
		if (daemon_log_find(d, reports[i], line, sizeof(line))) {
			snprintf(d->unclean, sizeof(d->unclean),
				 "sanitizer report in %s: %s", d->log, line);
			return;
		}
	}
	if (WIFSIGNALED(d->status))
		snprintf(d->unclean, sizeof(d->unclean),
			 "killed by signal %d (log %s)", WTERMSIG(d->status), d->log);
	else if (WEXITSTATUS(d->status))
		snprintf(d->unclean, sizeof(d->unclean),
			 "exit status %d (log %s)", WEXITSTATUS(d->status), d->log);
}

/*
 * SIGTERM; the daemon must be gone within 2 s (-ETIMEDOUT if not; ASan's
 * leak check at exit gets 10 s) and exit with status 0 (daemon_judge_exit)
 */
static inline int daemon_stop(struct daemon *d)
{
	int i, tries = daemon_sanitized() ? 200 : 40;

	if (d->pid <= 0)
		return 0;
	kill(d->pid, SIGTERM);
	for (i = 0; i < tries; i++) {
		if (waitpid(d->pid, &d->status, WNOHANG) == d->pid) {
			d->pid = 0;
			daemon_judge_exit(d);
			return 0;
		}
		usleep(50000);
	}
	kill(d->pid, SIGKILL);
	daemon_reap(d);
	snprintf(d->unclean, sizeof(d->unclean), "still running 2 s after SIGTERM");
	return -ETIMEDOUT;
}

static inline long daemon_fds(const struct daemon *d)
{
	char cmd[96], out[32];
	FILE *f;
	long n = -1;

	snprintf(cmd, sizeof(cmd), "ls /proc/%d/fd | wc -l", d->pid);
	f = popen(cmd, "r");
	if (f && fgets(out, sizeof(out), f))
		n = atol(out);
	if (f)
		pclose(f);
	return n;
}

static inline long daemon_rss_kb(const struct daemon *d)
{
	char p[64], line[128];
	long kb = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", d->pid);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#endif
