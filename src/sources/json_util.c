// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shared plumbing of the provider parsers: body sniffing, bounded JSON
 * loading, and JSON strings to prefixes with precise messages. It knows no
 * provider's keys and never accepts a value that is not a string: a number
 * or null where a prefix belongs means the upstream format changed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "guard.h"
#include "json_util.h"
#include "prefix.h"
#include "prefix_set.h"

static size_t skip_space(const char *body, size_t len)
{
	size_t i = 0;

	if (len >= 3 && !memcmp(body, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
			   body[i] == '\n' || body[i] == '\f' || body[i] == '\v'))
		i++;
	return i;
}

enum body_kind json_util_sniff(const char *body, size_t len)
{
	size_t i = body ? skip_space(body, len) : 0;

	if (i >= len)
		return BODY_BLANK;
	if (body[i] == '<')
		return BODY_HTML;
	if (body[i] == '{' || body[i] == '[')
		return BODY_JSON;
	return BODY_OTHER;
}

int json_util_html_err(const char *who, const char *what, struct diag *d)
{
	diag_err(d, "%s: looks like an HTML page (HTTP error or challenge page?), not %s", who,
		 what);
	return -EBADMSG;
}

int json_util_load(const char *who, const char *body, size_t len, json_t **root, struct diag *d)
{
	json_error_t jerr;
	size_t off;

	*root = NULL;
	if (len > JSON_UTIL_MAX_BODY) {
		diag_err(d, "%s: body of %zu bytes exceeds the %u byte limit", who, len,
			 JSON_UTIL_MAX_BODY);
		return -EFBIG;
	}
	switch (json_util_sniff(body, len)) {
	case BODY_BLANK:
		return 0;
	case BODY_HTML:
		return json_util_html_err(who, "JSON", d);
	default:
		break;
	}
	/* jansson rejects a BOM; the Azure download has none today but editors add one */
	off = len >= 3 && !memcmp(body, "\xef\xbb\xbf", 3) ? 3 : 0;
	*root = json_loadb(body + off, len - off, JSON_REJECT_DUPLICATES, &jerr);
	if (!*root) {
		diag_err(d, "%s: invalid JSON at line %d column %d: %s", who, jerr.line,
			 jerr.column, jerr.text);
		return -EBADMSG;
	}
	return 0;
}

int json_util_parse_text(const char *who, const char *body, size_t len, struct prefix_set *out,
			 struct diag *d)
{
	switch (json_util_sniff(body, len)) {
	case BODY_BLANK:
		return 0;
	case BODY_HTML:
		return json_util_html_err(who, "a text list", d);
	default:
		break;
	}
	return prefix_set_parse_text(out, body, len, who, d);
}

const char *json_util_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "an unknown value";
}

void json_util_quote(char *buf, size_t size, const char *s, size_t n)
{
	size_t i;

	if (!size)
		return;
	for (i = 0; i < n && i + 1 < size; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
}

static const char *parse_reason(int ret)
{
	switch (ret) {
	case -ERANGE:
		return "prefix length out of range";
	case -EAFNOSUPPORT:
		return "IPv4-mapped/compatible IPv6 is not accepted";
	default:
		return "not an IP address or prefix";
	}
}

int json_util_add_prefix(const char *who, const char *path, const json_t *v, int family,
			 struct prefix_set *out, struct diag *d)
{
	struct prefix p;
	bool host_bits = false;
	char shown[80];
	const char *s;
	size_t n;
	int ret;

	if (!json_is_string(v)) {
		diag_err(d, "%s: %s: expected a string, got %s", who, path, json_util_type_name(v));
		return -EBADMSG;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	json_util_quote(shown, sizeof(shown), s, n);
	ret = prefix_parse(s, n, &p, &host_bits);
	if (ret < 0) {
		diag_err(d, "%s: %s: \"%s\": %s", who, path, shown, parse_reason(ret));
		return -EINVAL;
	}
	if (family && p.family != family) {
		diag_err(d, "%s: %s: \"%s\" is %s, expected %s", who, path, shown,
			 p.family == AF_INET ? "IPv4" : "IPv6",
			 family == AF_INET ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	if (host_bits && guard_host_bits_refused(&p)) {
		diag_err(d,
			 "%s: %s: \"%s\" has host bits set and is broader than /%d: refused, since "
			 "masking it would open far more than its author may have meant",
			 who, path, shown,
			 p.family == AF_INET ? GUARD_HOST_BITS_MIN_V4 : GUARD_HOST_BITS_MIN_V6);
		return -EINVAL;
	}
	if (host_bits) {
		char canon[PREFIX_STRLEN];

		prefix_format(&p, canon, sizeof(canon));
		diag_warn(d, "%s: %s: \"%s\" has host bits set, using %s", who, path, shown, canon);
	}
	ret = prefix_set_add(out, &p);
	if (ret < 0)
		diag_err(d, "%s: %s", who, strerror(-ret));
	return ret;
}

int json_util_add_array(const char *who, const char *path, const json_t *v, int family,
			struct prefix_set *out, struct diag *d)
{
	char elem[256];
	size_t i;
	json_t *e;
	int ret;

	if (!json_is_array(v)) {
		diag_err(d, "%s: %s: expected an array, got %s", who, path, json_util_type_name(v));
		return -EBADMSG;
	}
	ret = prefix_set_reserve(out, out->n + json_array_size(v));
	if (ret < 0) {
		diag_err(d, "%s: %s", who, strerror(-ret));
		return ret;
	}
	json_array_foreach (v, i, e) {
		snprintf(elem, sizeof(elem), "%s[%zu]", path, i);
		ret = json_util_add_prefix(who, elem, e, family, out, d);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int json_util_add_key(const char *who, const char *parent, const json_t *obj, const char *key,
		      int family, struct prefix_set *out, struct diag *d)
{
	const json_t *v = json_object_get(obj, key);
	char path[256];

	snprintf(path, sizeof(path), "%s%s%s", parent ? parent : "", parent ? "." : "", key);
	if (!v) {
		diag_err(d, "%s: missing key \"%s\"", who, path);
		return -EBADMSG;
	}
	return json_util_add_array(who, path, v, family, out, d);
}

int json_util_get(const char *who, const char *path, const json_t *obj, const char *key,
		  json_type type, const json_t **out, struct diag *d)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v) {
		diag_err(d, "%s: missing key \"%s\"", who, path);
		return -EBADMSG;
	}
	if (json_util_check(who, path, v, type, d) < 0)
		return -EBADMSG;
	*out = v;
	return 0;
}

int json_util_check(const char *who, const char *path, const json_t *v, json_type type,
		    struct diag *d)
{
	if (json_typeof(v) == type)
		return 0;
	diag_err(d, "%s: %s%sexpected %s, got %s", who, path ? path : "", path ? ": " : "",
		 type == JSON_OBJECT  ? "an object"
		 : type == JSON_ARRAY ? "an array"
				      : "a string",
		 json_util_type_name(v));
	return -EBADMSG;
}

int json_util_elem_string(const char *who, const char *arr, size_t i, const json_t *e,
			  const char *key, const json_t **out, struct diag *d)
{
	char path[256];

	*out = NULL;
	snprintf(path, sizeof(path), "%s[%zu]", arr, i);
	if (json_util_check(who, path, e, JSON_OBJECT, d) < 0)
		return -EBADMSG;
	snprintf(path, sizeof(path), "%s[%zu].%s", arr, i, key);
	return json_util_get(who, path, e, key, JSON_STRING, out, d);
}

int json_util_add_objects(const char *who, const json_t *obj, const char *arr, const char *key,
			  int family, struct prefix_set *out, struct diag *d)
{
	const json_t *list, *v;
	char path[256];
	json_t *e;
	size_t i;
	int ret;

	ret = json_util_get(who, arr, obj, arr, JSON_ARRAY, &list, d);
	if (ret < 0)
		return ret;
	json_array_foreach (list, i, e) {
		ret = json_util_elem_string(who, arr, i, e, key, &v, d);
		if (ret < 0)
			return ret;
		snprintf(path, sizeof(path), "%s[%zu].%s", arr, i, key);
		ret = json_util_add_prefix(who, path, v, family, out, d);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int json_util_add_pair(const char *who, const char *parent, const json_t *obj, const char *key4,
		       const char *key6, struct prefix_set *out, struct diag *d)
{
	int ret = json_util_add_key(who, parent, obj, key4, AF_INET, out, d);

	if (ret < 0)
		return ret;
	return json_util_add_key(who, parent, obj, key6, AF_INET6, out, d);
}

int json_util_parse_object(const char *who, const char *body, size_t len,
			   int (*fn)(const json_t *root, const void *ctx, struct prefix_set *out,
				     struct diag *d),
			   const void *ctx, struct prefix_set *out, struct diag *d)
{
	json_t *root = NULL;
	int ret;

	ret = json_util_load(who, body, len, &root, d);
	if (ret < 0 || !root)
		goto out;
	ret = json_util_check(who, NULL, root, JSON_OBJECT, d);
	if (ret == 0)
		ret = fn(root, ctx, out, d);
out:
	json_decref(root);
	return ret;
}

struct pair_keys {
	const char *who, *key4, *key6;
};

static int add_pair_cb(const json_t *root, const void *ctx, struct prefix_set *out, struct diag *d)
{
	const struct pair_keys *k = ctx;

	return json_util_add_pair(k->who, NULL, root, k->key4, k->key6, out, d);
}

int json_util_parse_pair(const char *who, const char *body, size_t len, const char *key4,
			 const char *key6, struct prefix_set *out, struct diag *d)
{
	const struct pair_keys k = { who, key4, key6 };

	return json_util_parse_object(who, body, len, add_pair_cb, &k, out, d);
}
