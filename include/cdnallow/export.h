/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The validated, aggregated list rendered for the other consumers of the CDN's
 * addresses: web servers that must trust the client-IP header only from the
 * CDN (nginx, Apache, HAProxy, Caddy) and ban tools that must never ban a CDN
 * node (fail2ban, CrowdSec). Pure text generation: it never writes files nor
 * runs anything, and it never emits a header name that could break out of the
 * line it is written on.
 */
#ifndef CDNALLOW_EXPORT_H
#define CDNALLOW_EXPORT_H

#include <stdbool.h>
#include <stdio.h>

struct prefix_set;
struct source;
struct diag;

enum export_format {
	EXPORT_NGINX,
	EXPORT_APACHE,
	EXPORT_HAPROXY,
	EXPORT_CADDY,
	EXPORT_FAIL2BAN,
	EXPORT_CROWDSEC,
	EXPORT_TEXT,
	EXPORT_JSON,
};

/* The header used when the sources do not agree on one of their own. */
#define EXPORT_DEFAULT_HEADER "X-Forwarded-For"

/* "nginx" → EXPORT_NGINX; -EINVAL naming the known formats. */
int export_format_parse(const char *name, enum export_format *out, struct diag *d);
const char *export_format_name(enum export_format f);
/* A header name is an HTTP token of letters, digits and '-' (at most 64 bytes). */
bool export_header_valid(const char *h);
/*
 * The client-IP header every source agrees on (its provider's own), or
 * EXPORT_DEFAULT_HEADER when they differ or one has none.
 */
const char *export_default_header(const struct source *srcs, size_t nsrcs);
/*
 * Writes set in format f to out; header (NULL: X-Forwarded-For) for the web
 * server formats, from (may be NULL) names the sources in the leading comment.
 * -EINVAL for a bad header, -EIO when out fails.
 */
int export_write(FILE *out, enum export_format f, const struct prefix_set *set, const char *header,
		 const char *from, struct diag *d);

#endif
