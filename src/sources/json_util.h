/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the provider parsers (private to src/sources): sniffing
 * a body (blank, HTML, JSON, other), loading JSON with limits, and turning
 * JSON strings, arrays of strings and arrays of objects into prefixes with
 * messages that name the provider, the key path and the index. Never used
 * outside the parsers.
 *
 * Errors: -EBADMSG for a body of the wrong shape (HTML, broken JSON, missing
 * key, wrong type), -EINVAL for a string that is not a prefix of the expected
 * family, -EFBIG for a body over JSON_UTIL_MAX_BODY, -ENOMEM.
 */
#ifndef CDNALLOW_JSON_UTIL_H
#define CDNALLOW_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct diag;
struct prefix_set;

/* The biggest real list (Azure ServiceTags) is 2.7 MB; fetch caps bodies lower by default. */
#define JSON_UTIL_MAX_BODY (64u << 20)

enum body_kind {
	BODY_BLANK, /* empty or whitespace only: 0 prefixes, not an error here */
	BODY_HTML,  /* starts with '<' */
	BODY_JSON,  /* starts with '{' or '[' */
	BODY_OTHER, /* anything else: a text list, or garbage the text parser names */
};

/* Classifies body by its first byte after whitespace and a UTF-8 BOM. */
enum body_kind json_util_sniff(const char *body, size_t len);

/* Sets d to "who: looks like an HTML page (…), not what"; returns -EBADMSG. */
int json_util_html_err(const char *who, const char *what, struct diag *d);

/*
 * Parses body as JSON. A blank body gives *root = NULL and 0; HTML, broken
 * JSON (with jansson's line and column) and duplicate keys give -EBADMSG.
 */
int json_util_load(const char *who, const char *body, size_t len, json_t **root, struct diag *d);

/* Text list (one prefix a line, '#' comments) after refusing HTML; who names the input. */
int json_util_parse_text(const char *who, const char *body, size_t len, struct prefix_set *out,
			 struct diag *d);

/* "null", "string", "array", …: for messages. */
const char *json_util_type_name(const json_t *v);

/* Copies up to size-1 bytes of s[0..n) into buf for a message, '?' for non-printables. */
void json_util_quote(char *buf, size_t size, const char *s, size_t n);

/*
 * Adds the prefix in JSON string v, reached at path ("addresses[3]").
 * family is AF_INET, AF_INET6, or 0 for either. Host bits are masked with a
 * warning.
 */
int json_util_add_prefix(const char *who, const char *path, const json_t *v, int family,
			 struct prefix_set *out, struct diag *d);
/* Adds every element of the JSON array v (each a prefix string) reached at path. */
int json_util_add_array(const char *who, const char *path, const json_t *v, int family,
			struct prefix_set *out, struct diag *d);
/*
 * Adds the array at obj[key]; a missing key is an error. parent is the path
 * of obj for messages ("result" → "result.ipv4_cidrs[2]"), or NULL at the top.
 */
int json_util_add_key(const char *who, const char *parent, const json_t *obj, const char *key,
		      int family, struct prefix_set *out, struct diag *d);

/* Adds obj[key4] (IPv4 only) and obj[key6] (IPv6 only); both keys must exist. */
int json_util_add_pair(const char *who, const char *parent, const json_t *obj, const char *key4,
		       const char *key6, struct prefix_set *out, struct diag *d);
/*
 * Whole parse of a body that must be one JSON object: loads it (blank → 0
 * prefixes), checks it is an object, calls fn(root, ctx, out, d), frees it.
 */
int json_util_parse_object(const char *who, const char *body, size_t len,
			   int (*fn)(const json_t *root, const void *ctx, struct prefix_set *out,
				     struct diag *d),
			   const void *ctx, struct prefix_set *out, struct diag *d);
/* Whole parse of a body that is one object with a v4 and a v6 array (fastly, gcore). */
int json_util_parse_pair(const char *who, const char *body, size_t len, const char *key4,
			 const char *key6, struct prefix_set *out, struct diag *d);

/*
 * *out = obj[key], which must exist and be of type (JSON_OBJECT, JSON_ARRAY,
 * JSON_STRING); path names it in messages.
 */
int json_util_get(const char *who, const char *path, const json_t *obj, const char *key,
		  json_type type, const json_t **out, struct diag *d);

/*
 * Element i (e) of the array at path arr ("values") must be an object with a
 * string at key: *out = that string. Messages name "values[3]" or "values[3].name".
 */
int json_util_elem_string(const char *who, const char *arr, size_t i, const json_t *e,
			  const char *key, const json_t **out, struct diag *d);
/*
 * obj[arr] must be an array of objects, each with a prefix string at key: adds
 * them all (family as for json_util_add_prefix). arr is also its path.
 */
int json_util_add_objects(const char *who, const json_t *obj, const char *arr, const char *key,
			  int family, struct prefix_set *out, struct diag *d);

/* -EBADMSG "who: path: expected an object, got …" unless v has type; path may be NULL. */
int json_util_check(const char *who, const char *path, const json_t *v, json_type type,
		    struct diag *d);

#endif
