// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads a plain-text prefix list (one CIDR a line, '#' comments) into a
 * prefix set. Providers publish these by hand and through caches that
 * sometimes serve an HTML error page instead, so the parser is liberal about
 * whitespace and line ends but must never accept a line it cannot read: one
 * bad line rejects the whole list, naming line and byte offset.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "guard.h"
#include "prefix_set.h"
#include "prefix_text_int.h"

/* Host-bit warnings shown one by one; the rest are summed up in one line. */
#define HOST_BITS_WARN_MAX 10
/* Longest piece of a bad token quoted in a message. */
#define TOKEN_QUOTE_MAX 48

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static const char *reason(int err)
{
	switch (err) {
	case -ERANGE:
		return "bad prefix length";
	case -EAFNOSUPPORT:
		return "IPv4-mapped or IPv4-compatible IPv6 address, use the IPv4 form";
	default:
		return "not an IPv4 or IPv6 prefix";
	}
}

/* Printable, bounded copy of a token for a message. */
static void quote_token(char *out, size_t size, const char *s, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 5 < size && i < TOKEN_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\'')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
	}
	if (i < n && o + 4 < size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

size_t prefix_text_html_line(const char *buf, size_t len)
{
	size_t line = 1;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '<')
			return line;
		if (buf[i] == '\n')
			line++;
		else if (!is_blank(buf[i]))
			return 0;
	}
	return 0;
}

/* One prefix token [tok, tend) of buf (at->base bytes into the body): parsed, refused (-EINVAL, d
 * says why) or masked with a warning. */
static int parse_token(const char *buf, const char *tok, const char *tend, struct text_pos *at,
		       struct prefix *pfx, struct diag *d)
{
	char quoted[4 * TOKEN_QUOTE_MAX + 8], text[PREFIX_STRLEN];
	bool host = false;
	int r;

	r = prefix_parse(tok, (size_t)(tend - tok), pfx, &host);
	if (r < 0 || host) /* only a message needs the quoted token */
		quote_token(quoted, sizeof(quoted), tok, (size_t)(tend - tok));
	if (r < 0) {
		diag_err(d, "%s:%zu: bad prefix '%s' (byte offset %zu): %s", at->origin, at->lineno,
			 quoted, at->base + (size_t)(tok - buf), reason(r));
		return -EINVAL;
	}
	if (host && guard_host_bits_refused(pfx)) {
		diag_err(d,
			 "%s:%zu: '%s' has host bits set and is broader than /%d: refused, since "
			 "masking it would open far more than its author may have meant",
			 at->origin, at->lineno, quoted,
			 pfx->family == AF_INET ? GUARD_HOST_BITS_MIN_V4 : GUARD_HOST_BITS_MIN_V6);
		return -EINVAL;
	}
	if (host) {
		if (at->host_bits_count < HOST_BITS_WARN_MAX) {
			prefix_format(pfx, text, sizeof(text));
			diag_warn(d, "%s:%zu: '%s' has host bits set, using %s", at->origin,
				  at->lineno, quoted, text);
		}
		at->host_bits_count++;
	}
	return 0;
}

/*
 * Room for a prefix a line, so a 100k list lands in 2.4 MB rather than the
 * 3.1 MB of a doubling array (the peak of a sync). Failing is -ENOMEM only.
 */
static int reserve_lines(struct prefix_set *s, const char *p, const char *end)
{
	size_t lines = 1;

	for (p = memchr(p, '\n', (size_t)(end - p)); p && lines <= (1u << 20);
	     p = memchr(p, '\n', (size_t)(end - p))) {
		lines++;
		if (++p >= end)
			break;
	}
	/* a body of blank lines must not reserve 24 bytes each: beyond 1M lines, grow as parsed */
	return lines > (1u << 20) ? 0 : prefix_set_reserve(s, s->n + lines);
}

/* Bytes the fast path may read from a line's start: "255.255.255.255/32\r\n". */
#define FAST_LINE_MAX 20

static bool is_digit(char c)
{
	return (unsigned char)(c - '0') <= 9;
}

/*
 * One decimal field of the fast path: 1-3 digits, no leading zero, at most
 * max; reads at most 4 bytes. The byte after it, or NULL when the field is
 * anything else (the general path then decides and explains).
 */
static const char *fast_dec(const char *p, unsigned max, unsigned *out)
{
	unsigned v;

	if (!is_digit(p[0]))
		return NULL;
	v = (unsigned)(p[0] - '0');
	if (!is_digit(p[1])) {
		*out = v;
		return p + 1;
	}
	if (v == 0)
		return NULL;
	v = v * 10 + (unsigned)(p[1] - '0');
	if (is_digit(p[2])) {
		if (is_digit(p[3]))
			return NULL;
		v = v * 10 + (unsigned)(p[2] - '0');
	}
	if (v > max)
		return NULL;
	*out = v;
	return p + (v >= 100 ? 3 : 2);
}

/*
 * The line nearly every list is made of, "a.b.c.d[/len]" then "\n" or
 * "\r\n", in one pass: prefix_parse's lookups for '/', ':', '#', NUL and the
 * trimming were most of a 100k parse. A strict subset of the general path:
 * any other byte, host bits, a value out of range or fewer than
 * FAST_LINE_MAX bytes left (the reads are unchecked within those) return
 * NULL, and the line is parsed again by parse_line, which gives the messages.
 */
static const char *fast_v4_line(const char *p, const char *end, struct prefix *out)
{
	uint32_t addr = 0;
	unsigned v, len = 32;

	if (end - p < FAST_LINE_MAX)
		return NULL;
	for (int i = 0; i < 4; i++) {
		if (i > 0 && *p++ != '.')
			return NULL;
		p = fast_dec(p, 255, &v);
		if (!p)
			return NULL;
		addr = addr << 8 | v;
	}
	if (*p == '/') {
		p = fast_dec(p + 1, 32, &len);
		if (!p)
			return NULL;
	}
	if (*p == '\r')
		p++;
	if (*p != '\n' || (len < 32 && (addr & (UINT32_MAX >> len))))
		return NULL;
	out->hi = (uint64_t)addr << 32;
	out->lo = 0;
	out->len = (uint8_t)len;
	out->family = AF_INET;
	return p + 1;
}

/* The general path for the line at *pp: blanks, comments, IPv6, host bits, errors. */
static int parse_line(struct prefix_set *s, const char *buf, const char **pp, const char *end,
		      struct text_pos *at, struct diag *d)
{
	const char *p = *pp, *eol = memchr(p, '\n', (size_t)(end - p)), *tok, *tend, *hash, *nul;
	struct prefix pfx;
	int r;

	if (!eol)
		eol = end;
	nul = memchr(p, '\0', (size_t)(eol - p));
	if (nul) {
		diag_err(d, "%s:%zu: NUL byte (byte offset %zu): not a text list", at->origin,
			 at->lineno, at->base + (size_t)(nul - buf));
		return -EINVAL;
	}
	hash = memchr(p, '#', (size_t)(eol - p));
	tend = hash ? hash : eol;
	tok = p;
	while (tok < tend && is_blank(*tok))
		tok++;
	while (tend > tok && is_blank(tend[-1]))
		tend--;
	*pp = eol < end ? eol + 1 : end;
	if (tok == tend)
		return 0;
	r = parse_token(buf, tok, tend, at, &pfx, d);
	return r < 0 ? r : prefix_set_add(s, &pfx);
}

/* A line the one-pass path read; past the reserved room it grows as prefix_set_add does. */
static int store(struct prefix_set *s, const struct prefix *pfx)
{
	if (s->n < s->cap) {
		s->v[s->n++] = *pfx;
		return 0;
	}
	return prefix_set_add(s, pfx);
}

int prefix_text_lines(struct prefix_set *s, const char *buf, const char *p, const char *end,
		      struct text_pos *at, struct diag *d)
{
	const char *next;
	struct prefix pfx;
	int r;

	while (p < end) {
		at->lineno++;
		next = fast_v4_line(p, end, &pfx);
		if (next) {
			r = store(s, &pfx);
			p = next;
		} else {
			r = parse_line(s, buf, &p, end, at, d);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int prefix_text_html_err(const struct text_pos *at, struct diag *d)
{
	diag_err(d, "%s:%zu: looks like an HTML page, not a list of prefixes", at->origin,
		 at->lineno);
	return -EINVAL;
}

void prefix_text_summary(const struct text_pos *at, struct diag *d)
{
	if (at->host_bits_count > HOST_BITS_WARN_MAX)
		diag_warn(d, "%s: %zu prefixes had host bits set (first %d shown)", at->origin,
			  at->host_bits_count, HOST_BITS_WARN_MAX);
}

int prefix_set_parse_text(struct prefix_set *s, const char *buf, size_t len, const char *origin,
			  struct diag *d)
{
	struct text_pos where = { .origin = origin ? origin : "<input>" };
	const char *p, *end;
	size_t start_n = s->n;
	int r = 0;

	if (len == 0)
		return 0;
	p = buf;
	end = buf + len;
	p += prefix_text_bom(p, len);
	where.lineno = prefix_text_html_line(p, (size_t)(end - p));
	if (where.lineno)
		return prefix_text_html_err(&where, d);
	r = reserve_lines(s, p, end);
	if (r == 0)
		r = prefix_text_lines(s, buf, p, end, &where, d);
	if (r == 0)
		prefix_text_summary(&where, d);
	else
		s->n = start_n;
	return r;
}
