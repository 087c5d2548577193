// SPDX-License-Identifier: GPL-2.0
/*
 * GLib key-file syntax (the Desktop Entry grammar GLib implements): lines
 * of "[group]", "key=value", "# comment" or blank; whitespace around '='
 * ignored; values unescape \s \n \t \r \\ and, in lists, "\;"; lists are
 * ';'-separated with an optional trailing ';'; key[locale] variants are
 * not ours and skipped. A later key replaces an earlier one, as in GLib.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handshaked/daemon/config.h"
#include "handshaked/crypto/crypto.h"
#include "handshaked/tls/tls.h"

#define CFG_FILE_MAX (1 << 20)

void hsd_cfg_defaults(struct hsd_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->max_inflight = 1024;
	c->app_min_version = 0x0303;
	c->timeout_ms = 10000;
	c->poll_ms = 1000;
	c->groups[0] = HSD_GROUP_X25519MLKEM768;
	c->groups[1] = HSD_GROUP_X25519;
	c->groups[2] = HSD_GROUP_SECP256R1;
	c->groups[3] = HSD_GROUP_SECP384R1;
	c->n_groups = 4;
}

/* unescape @v (@n bytes) into @out; in a list, stop at an unescaped ';' */
static int unescape(const char *v, size_t n, bool list, char *out,
		    size_t cap, size_t *used)
{
	size_t i, o = 0;
	char ch;

	for (i = 0; i < n; i++) {
		ch = v[i];
		if (list && ch == ';') {
			i++;
			break;
		}
		if (ch == '\\') {
			if (++i == n)
				return -EINVAL;
			ch = v[i] == 's' ? ' ' : v[i] == 'n' ? '\n' :
			     v[i] == 't' ? '\t' : v[i] == 'r' ? '\r' :
			     v[i] == '\\' || v[i] == ';' ? v[i] : 0;
			if (!ch)
				return -EINVAL;
		}
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		out[o++] = ch;
	}
	out[o] = 0;
	if (used)
		*used = i;
	return 0;
}

static int set_str(char *dst, size_t cap, const char *v, size_t n)
{
	return unescape(v, n, false, dst, cap, NULL);
}

static int set_uint(unsigned int *dst, const char *v, size_t n,
		    unsigned int min, unsigned int max)
{
	char buf[24], *end;
	unsigned long x;

	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, v, n);
	buf[n] = 0;
	errno = 0;
	x = strtoul(buf, &end, 10);
	if (errno || *end || buf[0] == '-' || x < min || x > max)
		return -EINVAL;
	*dst = (unsigned int)x;
	return 0;
}

static int set_bool(bool *dst, const char *v, size_t n)
{
	/* GLib accepts true/false and 1/0 */
	if ((n == 4 && !memcmp(v, "true", 4)) || (n == 1 && v[0] == '1'))
		*dst = true;
	else if ((n == 5 && !memcmp(v, "false", 5)) || (n == 1 && v[0] == '0'))
		*dst = false;
	else
		return -EINVAL;
	return 0;
}

/* "1.2" or "1.3" (also "TLSv1.2", "TLSv1.3") */
static int set_version(uint16_t *dst, const char *v, size_t n)
{
	if (n > 4 && !memcmp(v, "TLSv", 4)) {
		v += 4;
		n -= 4;
	}
	if (n == 3 && !memcmp(v, "1.2", 3))
		*dst = 0x0303;
	else if (n == 3 && !memcmp(v, "1.3", 3))
		*dst = 0x0304;
	else
		return -EINVAL;
	return 0;
}

static int set_keyrings(struct hsd_cfg *c, const char *v, size_t n)
{
	size_t off = 0, used;
	int err;

	c->n_keyrings = 0;
	while (off < n) {
		if (c->n_keyrings == HSD_CFG_KEYRINGS_MAX)
			return -E2BIG;
		err = unescape(v + off, n - off, true,
			       c->keyrings[c->n_keyrings], sizeof(c->keyrings[0]),
			       &used);
		if (err)
			return err;
		off += used;
		if (c->keyrings[c->n_keyrings][0])
			c->n_keyrings++;
	}
	return 0;
}

/* a list's next non-empty item from @off on: 1, 0 at its end, or -errno */
static int next_name(const char *v, size_t n, size_t *off, char *name,
		     size_t cap)
{
	size_t used;
	int err;

	while (*off < n) {
		err = unescape(v + *off, n - *off, true, name, cap, &used);
		if (err)
			return err;
		*off += used;
		if (name[0])
			return 1;
	}
	return 0;
}

static int set_groups(struct hsd_cfg *c, const char *v, size_t n)
{
	char name[32];
	size_t off = 0;
	uint16_t g;
	int err;

	c->n_groups = 0;
	while ((err = next_name(v, n, &off, name, sizeof(name))) > 0) {
		g = hsd_group_by_name(name);
		if (!g)
			return -EINVAL;
		if (c->n_groups == HSD_CFG_GROUPS_MAX)
			return -E2BIG;
		c->groups[c->n_groups++] = g;
	}
	return err ? err : c->n_groups ? 0 : -EINVAL;
}

static int set_suites(struct hsd_cfg *c, const char *v, size_t n)
{
	const struct hs_suite *s;
	char name[64];
	size_t off = 0;
	int err;

	c->n_suites = 0;
	while ((err = next_name(v, n, &off, name, sizeof(name))) > 0) {
		s = hs_suite_by_name(name);
		if (!s || s->version != HS_TLS13)
			return -EINVAL;
		if (c->n_suites == HSD_CFG_SUITES_MAX)
			return -E2BIG;
		c->suites[c->n_suites++] = s->id;
	}
	return err ? err : c->n_suites ? 0 : -EINVAL;
}

static int set_x509(struct hsd_cfg_x509 *x, const char *k, const char *v,
		    size_t n)
{
	if (!strcmp(k, "x509.truststore"))
		return set_str(x->truststore, sizeof(x->truststore), v, n);
	if (!strcmp(k, "x509.crl"))
		return set_str(x->crl, sizeof(x->crl), v, n);
	if (!strcmp(k, "x509.certificate"))
		return set_str(x->certificate, sizeof(x->certificate), v, n);
	if (!strcmp(k, "x509.private_key"))
		return set_str(x->private_key, sizeof(x->private_key), v, n);
	return 0;
}

static int set_key(struct hsd_cfg *c, const char *g, const char *k,
		   const char *v, size_t n)
{
	unsigned int u;
	int err = 0;

	if (!strcmp(g, "debug")) {
		if (!strcmp(k, "loglevel") || !strcmp(k, "tls") || !strcmp(k, "nl")) {
			err = set_uint(&u, v, n, 0, 10);
			if (!err)
				*(k[0] == 'l' ? &c->loglevel : k[0] == 't' ?
				  &c->tls_debug : &c->nl_debug) = (int)u;
		}
	} else if (!strcmp(g, "authenticate")) {
		if (!strcmp(k, "keyrings"))
			err = set_keyrings(c, v, n);
	} else if (!strcmp(g, "authenticate.client")) {
		err = set_x509(&c->client, k, v, n);
	} else if (!strcmp(g, "authenticate.server")) {
		err = set_x509(&c->server, k, v, n);
	} else if (!strcmp(g, "handshaked")) {
		if (!strcmp(k, "max_inflight"))
			err = set_uint(&c->max_inflight, v, n, 1, 65536);
		else if (!strcmp(k, "timeout_ms"))
			err = set_uint(&c->timeout_ms, v, n, 100, 600000);
		else if (!strcmp(k, "poll_ms"))
			err = set_uint(&c->poll_ms, v, n, 10, 60000);
		else if (!strcmp(k, "server_tickets"))
			err = set_bool(&c->server_tickets, v, n);
		else if (!strcmp(k, "groups"))
			err = set_groups(c, v, n);
		else if (!strcmp(k, "cipher_suites"))
			err = set_suites(c, v, n);
		else if (!strcmp(k, "app_min_version"))
			err = set_version(&c->app_min_version, v, n);
	}
	return err;
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* one line (no newline): "[group]", "key=value", comment or blank */
static int line(struct hsd_cfg *c, char *group, size_t gcap, const char *p,
		size_t n)
{
	char key[64];
	const char *eq, *v;
	size_t kl, vl;

	while (n && blank(*p)) {
		p++;
		n--;
	}
	while (n && (blank(p[n - 1]) || p[n - 1] == '\r'))
		n--;
	if (!n || p[0] == '#')
		return 0;
	if (p[0] == '[') {
		if (n < 3 || p[n - 1] != ']' || n - 2 >= gcap ||
		    memchr(p + 1, '[', n - 2) || memchr(p + 1, ']', n - 2))
			return -EINVAL;
		memcpy(group, p + 1, n - 2);
		group[n - 2] = 0;
		return 0;
	}
	eq = memchr(p, '=', n);
	if (!eq || !group[0])
		return -EINVAL;
	kl = (size_t)(eq - p);
	while (kl && blank(p[kl - 1]))
		kl--;
	if (!kl || kl >= sizeof(key))
		return -EINVAL;
	memcpy(key, p, kl);
	key[kl] = 0;
	for (size_t i = 0; i < kl; i++)
		if (!(key[i] >= 'a' && key[i] <= 'z') &&
		    !(key[i] >= 'A' && key[i] <= 'Z') &&
		    !(key[i] >= '0' && key[i] <= '9') &&
		    !strchr("-._[]@", key[i]))
			return -EINVAL;
	if (strchr(key, '['))
		return 0;	/* a localized variant */
	v = eq + 1;
	vl = n - (size_t)(eq - p) - 1;
	while (vl && blank(*v)) {
		v++;
		vl--;
	}
	return set_key(c, group, key, v, vl);
}

int hsd_cfg_parse(const char *text, size_t len, struct hsd_cfg *c,
		  char *err, size_t errlen)
{
	char group[64] = "";
	size_t off = 0, n, lineno = 0;
	const char *nl;
	int e;

	hsd_cfg_defaults(c);
	while (off < len) {
		nl = memchr(text + off, '\n', len - off);
		n = nl ? (size_t)(nl - text - off) : len - off;
		lineno++;
		if (memchr(text + off, 0, n))
			e = -EINVAL;
		else
			e = line(c, group, sizeof(group), text + off, n);
		if (e) {
			if (err)
				snprintf(err, errlen, "line %zu: %s", lineno,
					 e == -EINVAL ? "malformed" :
					 strerror(-e));
			return -EINVAL;
		}
		off += n + (nl != NULL);
	}
	return 0;
}

int hsd_cfg_load(const char *path, struct hsd_cfg *c, char *err,
		 size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t r;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) {
			e = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-e));
			return e;
		}
		hsd_cfg_defaults(c);
		return 0;
	}
	if (fstat(fd, &st) || st.st_size > CFG_FILE_MAX) {
		close(fd);
		snprintf(err, errlen, "%s: unreadable or too large", path);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	r = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (r != st.st_size) {
		free(buf);
		snprintf(err, errlen, "%s: short read", path);
		return -EIO;
	}
	e = hsd_cfg_parse(buf, (size_t)r, c, err, errlen);
	if (e) {
		size_t l = strlen(err);
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s: %.*s", path, (int)l, err);
		snprintf(err, errlen, "%s", tmp);
	}
	free(buf);
	return e;
}
