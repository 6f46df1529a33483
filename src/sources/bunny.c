// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bunny.net: api.bunny.net/system/edgeserverlist and …/ipv6 list single edge
 * addresses (bare, so /32 and /128). The same endpoint answers a JSON array
 * of strings or, without "Accept: application/json", an XML ArrayOfstring;
 * the /plain variants are text lists. All three are accepted; any other
 * markup is an error page and refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "json_util.h"
#include "prefix_set.h"
#include "providers.h"

#define WHO "bunny"

static bool skip_prefix(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
		return false;
	*p += n;
	return true;
}

static void skip_ws(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n'))
		(*p)++;
}

/* <ArrayOfstring …><string>ADDR</string>…</ArrayOfstring> */
static int parse_xml(const char *body, size_t len, struct prefix_set *out, struct diag *d)
{
	const char *end = body + len, *p = memmem(body, len, "<ArrayOfstring", 14);
	const char *close;
	size_t i = 0;
	json_t *str;
	int ret;

	p = memchr(p, '>', end - p);
	if (!p)
		goto bad;
	if (p[-1] == '/')
		return 0;
	p++;
	for (;;) {
		char path[64];

		skip_ws(&p, end);
		if (skip_prefix(&p, end, "</ArrayOfstring>"))
			return 0;
		if (!skip_prefix(&p, end, "<string>"))
			goto bad;
		close = memmem(p, end - p, "</string>", 9);
		if (!close)
			goto bad;
		str = json_stringn_nocheck(p, close - p);
		if (!str) {
			diag_err(d, WHO ": out of memory");
			return -ENOMEM;
		}
		snprintf(path, sizeof(path), "string[%zu]", i++);
		ret = json_util_add_prefix(WHO, path, str, 0, out, d);
		json_decref(str);
		if (ret < 0)
			return ret;
		p = close + 9;
	}
bad:
	diag_err(d, WHO ": XML edge server list malformed at byte %zu", (size_t)(p ? p - body : 0));
	return -EBADMSG;
}

static int parse_json(const char *body, size_t len, struct prefix_set *out, struct diag *d)
{
	json_t *root = NULL;
	int ret;

	ret = json_util_load(WHO, body, len, &root, d);
	if (ret == 0 && root)
		ret = json_util_add_array(WHO, "", root, 0, out, d);
	json_decref(root);
	return ret;
}

static int bunny_parse(const struct source *src, const char *body, size_t len,
		       struct prefix_set *out, struct diag *d)
{
	(void)src;
	switch (json_util_sniff(body, len)) {
	case BODY_JSON:
		return parse_json(body, len, out, d);
	case BODY_HTML:
		if (memmem(body, len, "<ArrayOfstring", 14))
			return parse_xml(body, len, out, d);
		return json_util_html_err(WHO, "an edge server list", d);
	default:
		return json_util_parse_text(WHO, body, len, out, d);
	}
}

const struct provider provider_bunny = {
	.name = "bunny",
	.summary = "bunny.net CDN edge servers (edgeserverlist API, single addresses)",
	.urls = { "https://api.bunny.net/system/edgeserverlist",
		  "https://api.bunny.net/system/edgeserverlist/ipv6" },
	.alt_url = "https://api.bunny.net/system/edgeserverlist/plain",
	.floor = 20,
	.parse = bunny_parse,
};
