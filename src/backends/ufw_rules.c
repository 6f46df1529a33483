// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Parses the `### tuple ###` lines ufw 0.36 writes into user.rules and
 * user6.rules: the only record of which rules exist and who made them (the
 * comment, hex-encoded). ufw itself reads its state back from these lines, so
 * they are authoritative; `ufw status` is a translated, column-formatted view
 * that must never be parsed. Pure text work: nothing here runs ufw or touches
 * a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "prefix.h"
#include "ufw_int.h"

#define TUPLE_MARK "### tuple ###"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ufw drops a trailing odd nibble and replaces bad bytes; we stop at the first bad one. */
static void hex_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i + 1 < n && o + 1 < size; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);

		if (hi < 0 || lo < 0)
			break;
		out[o++] = (char)(hi << 4 | lo);
	}
	out[o] = '\0';
}

void ufw_hex_encode(const char *s, char *out, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s && o + 2 < size; s++) {
		unsigned char c = (unsigned char)*s;

		out[o++] = digits[c >> 4];
		out[o++] = digits[c & 15];
	}
	if (size)
		out[o] = '\0';
}

static bool copy_field(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* Splits the tuple body into at most 10 whitespace-separated fields. */
static size_t split(const char *s, size_t n, const char *f[10], size_t flen[10])
{
	size_t k = 0, i = 0;

	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= n)
			break;
		if (k == 10)
			return 11;
		f[k] = s + i;
		while (i < n && s[i] != ' ' && s[i] != '\t')
			i++;
		flen[k] = (size_t)(s + i - f[k]);
		k++;
	}
	return k;
}

static int parse_action(struct ufw_rule *r, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	const char *us;

	if (colon) {
		r->forward = true;
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	/* "allow_log", "deny_log-all": the log type is no part of what the rule does */
	us = memchr(s, '_', n);
	if (us)
		n = (size_t)(us - s);
	return copy_field(r->action, sizeof(r->action), s, n) ? 0 : -EINVAL;
}

/*
 * Fields as ufw's _read_rules() takes them: 7 (or 6 in pre-0.30 files, direction
 * "in") without application names, 9 (or 8) with them.
 */
static int parse_tuple(struct ufw_rule *r, const char *s, size_t n)
{
	const char *f[10];
	size_t flen[10], k;
	const char *c = NULL;
	size_t cn = 0;
	bool ok;

	for (size_t i = 0; i + 9 <= n; i++) {
		if (!memcmp(s + i, " comment=", 9)) {
			c = s + i + 9;
			cn = n - i - 9;
			n = i;
			break;
		}
	}
	while (cn && (c[cn - 1] == ' ' || c[cn - 1] == '\t' || c[cn - 1] == '\r'))
		cn--;
	k = split(s, n, f, flen);
	if (k < 6 || k > 9)
		return -EINVAL;
	if (parse_action(r, f[0], flen[0]) < 0)
		return -EINVAL;
	ok = copy_field(r->proto, sizeof(r->proto), f[1], flen[1]) &&
	     copy_field(r->dport, sizeof(r->dport), f[2], flen[2]) &&
	     copy_field(r->dst, sizeof(r->dst), f[3], flen[3]) &&
	     copy_field(r->sport, sizeof(r->sport), f[4], flen[4]) &&
	     copy_field(r->src, sizeof(r->src), f[5], flen[5]);
	if (k == 7 || k == 9)
		ok = ok && copy_field(r->dir, sizeof(r->dir), f[k - 1], flen[k - 1]);
	else
		strcpy(r->dir, "in");
	if (!ok)
		return -EINVAL;
	r->app = k >= 8 && ((flen[6] != 1 || f[6][0] != '-') || (flen[7] != 1 || f[7][0] != '-'));
	if (c)
		hex_decode(c, cn, r->comment, sizeof(r->comment));
	return 0;
}

static int rules_push(struct ufw_rules *r, const struct ufw_rule *x)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct ufw_rule *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *x;
	return 0;
}

int ufw_rules_parse(struct ufw_rules *r, const char *buf, size_t len, bool v6, struct diag *d)
{
	const size_t mark = strlen(TUPLE_MARK);
	unsigned lineno = 0;
	size_t i = 0;

	while (i < len) {
		const char *line = buf + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;
		struct ufw_rule x;
		int ret;

		i += n + (nl ? 1 : 0);
		lineno++;
		if (n < mark || memcmp(line, TUPLE_MARK, mark))
			continue;
		memset(&x, 0, sizeof(x));
		x.v6 = v6;
		x.line = lineno;
		/* ufw skips a malformed tuple with a warning and keeps going; so do we */
		if (parse_tuple(&x, line + mark, n - mark) < 0) {
			diag_warn(d, "%s:%u: skipping malformed ufw tuple",
				  v6 ? "user6.rules" : "user.rules", lineno);
			continue;
		}
		ret = rules_push(r, &x);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void ufw_rules_release(struct ufw_rules *r)
{
	if (!r)
		return;
	free(r->v);
	memset(r, 0, sizeof(*r));
}

bool ufw_rule_is_ours(const struct ufw_rule *r)
{
	size_t n = strlen(UFW_COMMENT_PREFIX);

	return !strncmp(r->comment, UFW_COMMENT_PREFIX, n) &&
	       (r->comment[n] == '\0' || r->comment[n] == ':');
}

static int cmp_port(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

int ufw_ports_format(const uint16_t *ports, size_t n, char *buf, size_t size)
{
	uint16_t s[UFW_PORTS_MAX];
	size_t m = 0, len = 0;

	if (n == 0 || n > UFW_PORTS_MAX)
		return -EINVAL;
	memcpy(s, ports, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_port);
	for (size_t i = 0; i < n; i++) {
		int w;

		if (s[i] == 0)
			return -EINVAL;
		if (m && s[m - 1] == s[i])
			continue;
		s[m++] = s[i];
		w = snprintf(buf + len, size - len, "%s%u", len ? "," : "", s[i]);
		if (w < 0 || (size_t)w >= size - len)
			return -ENOSPC;
		len += (size_t)w;
	}
	return 0;
}

static bool is_any_addr(const char *a)
{
	return !strcmp(a, "0.0.0.0/0") || !strcmp(a, "::/0") || !strcmp(a, "any");
}

bool ufw_rule_src_any(const struct ufw_rule *r)
{
	return is_any_addr(r->src);
}

bool ufw_rule_is_plain_allow(const struct ufw_rule *r, const char *ports)
{
	return !r->forward && !r->app && !strcmp(r->action, "allow") && !strcmp(r->proto, "tcp") &&
	       !strcmp(r->dport, ports) && is_any_addr(r->dst) && !strcmp(r->sport, "any") &&
	       !strcmp(r->dir, "in");
}

bool ufw_rule_src_prefix(const struct ufw_rule *r, struct prefix *p)
{
	if (ufw_rule_src_any(r))
		return false;
	return prefix_parse(r->src, strlen(r->src), p, NULL) == 0 &&
	       p->family == (r->v6 ? AF_INET6 : AF_INET);
}

/* One "443" or "8000:8100" item of a dport list. */
static bool item_covers(const char *s, size_t n, uint16_t port)
{
	char tmp[16];
	char *end, *colon;
	unsigned long lo, hi;

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	lo = strtoul(tmp, &end, 10);
	colon = strchr(tmp, ':');
	if (colon) {
		hi = strtoul(colon + 1, &end, 10);
		return *end == '\0' && lo <= port && port <= hi;
	}
	return *end == '\0' && lo == port;
}

bool ufw_rule_covers_port(const struct ufw_rule *r, uint16_t port)
{
	const char *s = r->dport;

	if (r->forward || strncmp(r->dir, "in", 2) || r->app)
		return false;
	if (strcmp(r->proto, "tcp") && strcmp(r->proto, "any"))
		return false;
	if (!strcmp(s, "any"))
		return true;
	while (*s) {
		size_t n = strcspn(s, ",");

		if (item_covers(s, n, port))
			return true;
		s += n + (s[n] == ',');
	}
	return false;
}

static void audit_rule(const struct ufw_rule *x, const uint16_t *ports, size_t nports,
		       const unsigned first_ours[2], struct diag *d)
{
	const char *file = x->v6 ? "user6.rules" : "user.rules";

	for (size_t k = 0; k < nports; k++) {
		if (!ufw_rule_covers_port(x, ports[k]))
			continue;
		if ((!strcmp(x->action, "allow") || !strcmp(x->action, "limit")) &&
		    ufw_rule_src_any(x)) {
			diag_warn(d,
				  "ufw: %s:%u '%s %s %s from %s' lets anyone reach port %u: "
				  "the allowlist has no effect there",
				  file, x->line, x->action, x->proto, x->dport, x->src, ports[k]);
			return;
		}
		if ((!strcmp(x->action, "deny") || !strcmp(x->action, "reject")) &&
		    x->line < first_ours[x->v6]) {
			diag_warn(d,
				  "ufw: %s:%u '%s %s %s from %s' comes before cdnallow's rules "
				  "and blocks port %u for the sources it matches",
				  file, x->line, x->action, x->proto, x->dport, x->src, ports[k]);
			return;
		}
	}
}

void ufw_rules_audit(const struct ufw_rules *r, const uint16_t *ports, size_t nports,
		     bool ipset_mode, struct diag *d)
{
	unsigned first_ours[2] = { 0, 0 };

	/* in ipset mode our rule sits in ufw-before-input, ahead of every user rule */
	for (size_t i = 0; i < r->n && !ipset_mode; i++) {
		if (ufw_rule_is_ours(&r->v[i]) && !first_ours[r->v[i].v6])
			first_ours[r->v[i].v6] = r->v[i].line;
	}
	for (size_t i = 0; i < r->n; i++) {
		if (!ufw_rule_is_ours(&r->v[i]))
			audit_rule(&r->v[i], ports, nports, first_ours, d);
	}
}
