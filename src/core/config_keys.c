// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keys of every cdnallow.conf section (docs/architecture.md §6) and what each one
 * accepts: one table per section, one setter per key. A setter checks its
 * value completely before it changes the config and says what is allowed;
 * config_parse.c adds FILE:LINE and the key. Nothing here reads files.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"
#include "config.h"
#include "config_int.h"
#include "diag.h"

#define FLOOR_MAX 10000000ULL

/* [cdnallow] */
static int k_providers(struct config *c, size_t at, const char *v, struct diag *d)
{
	(void)at;
	return config_set_providers(c, v, d);
}

static int k_backend(struct config *c, size_t at, const char *v, struct diag *d)
{
	(void)at;
	return config_set_backend(c, v, d);
}

static int k_ports(struct config *c, size_t at, const char *v, struct diag *d)
{
	(void)at;
	return config_parse_ports(v, c->ports, &c->nports, d);
}

static int k_mode(struct config *c, size_t at, const char *v, struct diag *d)
{
	(void)at;
	return config_set_mode(c, v, d);
}

static int k_state_dir(struct config *c, size_t at, const char *v, struct diag *d)
{
	(void)at;
	return config_set_state_dir(c, v, d);
}

/* [guard] */
static int k_max_shrink(struct config *c, size_t at, const char *v, struct diag *d)
{
	unsigned long long n;
	int ret = config_parse_uint(v, 0, 100, &n, d);

	(void)at;
	if (ret == 0)
		c->max_shrink = (unsigned)n;
	return ret;
}

static int k_max_grow(struct config *c, size_t at, const char *v, struct diag *d)
{
	unsigned long long n;
	int ret = config_parse_uint(v, 0, 100000, &n, d);

	(void)at;
	if (ret == 0)
		c->max_grow = (unsigned)n;
	return ret;
}

/* "90d", "12h", "3600" (seconds) */
static int k_max_age(struct config *c, size_t at, const char *v, struct diag *d)
{
	char num[32];
	size_t len = strlen(v);
	long mult = 1;
	unsigned long long n;
	int ret;

	(void)at;
	if (len > 0 && len < sizeof(num) && (v[len - 1] == 'd' || v[len - 1] == 'h')) {
		mult = v[len - 1] == 'd' ? 86400 : 3600;
		len--;
	}
	if (len == 0 || len >= sizeof(num)) {
		diag_err(d,
			 "'%s' is not an age (allowed: seconds, or a number with h or d, e.g. 90d)",
			 v);
		return -EINVAL;
	}
	memcpy(num, v, len);
	num[len] = '\0';
	ret = config_parse_uint(num, 1, 3650ULL * 86400 / (unsigned long long)mult, &n, d);
	if (ret == 0)
		c->max_age_s = (long)n * mult;
	return ret;
}

static int k_allow_test_ranges(struct config *c, size_t at, const char *v, struct diag *d)
{
	(void)at;
	return config_parse_bool(v, &c->allow_test_ranges, d);
}

/* [fetch] */
static int k_timeout(struct config *c, size_t at, const char *v, struct diag *d)
{
	unsigned long long n;
	int ret = config_parse_uint(v, 1, 3600, &n, d);

	(void)at;
	if (ret == 0)
		c->timeout_s = (long)n;
	return ret;
}

static int k_retries(struct config *c, size_t at, const char *v, struct diag *d)
{
	unsigned long long n;
	int ret = config_parse_uint(v, 0, 10, &n, d);

	(void)at;
	if (ret == 0)
		c->retries = (unsigned)n;
	return ret;
}

static int k_max_size(struct config *c, size_t at, const char *v, struct diag *d)
{
	const size_t limit = (size_t)1024 * 1024 * 1024;
	size_t n = 0;
	int ret = config_parse_size(v, &n);

	(void)at;
	if (ret == -EINVAL) {
		diag_err(d,
			 "'%s' is not a size (allowed: bytes with an optional k, M or G "
			 "suffix, e.g. 16M)",
			 v);
		return ret;
	}
	if (ret < 0 || n < 1 || n > limit) {
		diag_err(d, "'%s' is out of range (allowed: 1 byte to 1G)", v);
		return -ERANGE;
	}
	c->max_size = n;
	return 0;
}

static int k_ca_file(struct config *c, size_t at, const char *v, struct diag *d)
{
	int ret = config_check_path(v, "CA file", d);

	(void)at;
	return ret < 0 ? ret : config_set_string(&c->ca_file, v);
}

/* [provider:NAME] and [source:NAME] */
static int check_url(const char *v, struct diag *d)
{
	const char *host;

	if (strncasecmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncasecmp(v, "http://", 7) == 0)
		host = v + 7;
	else {
		diag_err(d,
			 "'%s' is not an https:// URL (http:// needs insecure = true; "
			 "use path = for local files)",
			 v);
		return -EINVAL;
	}
	if (!*host || *host == '/') {
		diag_err(d, "URL '%s' has no host", v);
		return -EINVAL;
	}
	for (const char *p = v; *p; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
			diag_err(d, "URL '%s' contains blanks or control characters", v);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_floor(const char *v, unsigned long long min, size_t *out, struct diag *d)
{
	unsigned long long n;
	int ret = config_parse_uint(v, min, FLOOR_MAX, &n, d);

	if (ret == 0)
		*out = (size_t)n;
	return ret;
}

static int k_prov_url(struct config *c, size_t at, const char *v, struct diag *d)
{
	struct provider_override *o = &c->overrides[at];
	char **items = NULL;
	size_t n = 0;
	int ret;

	if (o->nurls) {
		diag_err(d, "give either url or path, not both");
		return -EINVAL;
	}
	ret = config_split_list(v, &items, &n, d);
	if (ret < 0)
		return ret;
	if (n == 0 || n > SOURCE_MAX_URLS) {
		diag_err(d, "%zu URLs given (allowed: 1 to %d, comma separated)", n,
			 SOURCE_MAX_URLS);
		ret = -EINVAL;
	}
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = check_url(items[i], d);
	if (ret < 0) {
		config_free_list(items, n);
		return ret;
	}
	for (size_t i = 0; i < n; i++)
		o->urls[i] = items[i];
	o->nurls = n;
	free(items);
	return 0;
}

/* path = FILE[, FILE…]: local copies of the provider's endpoints, in the same order */
static int k_prov_path(struct config *c, size_t at, const char *v, struct diag *d)
{
	struct provider_override *o = &c->overrides[at];
	char **items = NULL;
	size_t n = 0;
	int ret;

	if (o->nurls) {
		diag_err(d, "give either url or path, not both");
		return -EINVAL;
	}
	ret = config_split_list(v, &items, &n, d);
	if (ret < 0)
		return ret;
	if (n == 0 || n > SOURCE_MAX_URLS) {
		diag_err(d, "%zu paths given (allowed: 1 to %d, comma separated)", n,
			 SOURCE_MAX_URLS);
		ret = -EINVAL;
	}
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = config_check_path(items[i], "path", d);
	if (ret < 0) {
		config_free_list(items, n);
		return ret;
	}
	for (size_t i = 0; i < n; i++)
		o->urls[i] = items[i];
	o->nurls = n;
	free(items);
	return 0;
}

static int k_prov_floor(struct config *c, size_t at, const char *v, struct diag *d)
{
	struct provider_override *o = &c->overrides[at];
	int ret = check_floor(v, 0, &o->floor, d);

	if (ret == 0)
		o->has_floor = true;
	return ret;
}

static int k_prov_max_addresses(struct config *c, size_t at, const char *v, struct diag *d)
{
	struct provider_override *o = &c->overrides[at];
	int ret = config_parse_addresses(v, o->max_addresses, d);

	if (ret == 0)
		o->has_max_addresses = true;
	return ret;
}

static int k_prov_filter(struct config *c, size_t at, const char *v, struct diag *d)
{
	if (!*v) {
		diag_err(d, "empty filter (allowed: a service or tag name, e.g. "
			    "CLOUDFRONT_ORIGIN_FACING)");
		return -EINVAL;
	}
	return config_set_string(&c->overrides[at].filter, v);
}

static int k_prov_insecure(struct config *c, size_t at, const char *v, struct diag *d)
{
	return config_parse_bool(v, &c->overrides[at].insecure, d);
}

static int k_src_url(struct config *c, size_t at, const char *v, struct diag *d)
{
	int ret = check_url(v, d);

	return ret < 0 ? ret : config_set_string(&c->sources[at].url, v);
}

static int k_src_path(struct config *c, size_t at, const char *v, struct diag *d)
{
	int ret = config_check_path(v, "path", d);

	return ret < 0 ? ret : config_set_string(&c->sources[at].path, v);
}

static int k_src_format(struct config *c, size_t at, const char *v, struct diag *d)
{
	static const struct {
		const char *name;
		enum source_format f;
	} formats[] = { { "auto", FORMAT_AUTO },
			{ "text", FORMAT_TEXT },
			{ "json", FORMAT_JSON },
			{ "cdnallow", FORMAT_CDNALLOW } };

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(v, formats[i].name) == 0) {
			c->sources[at].format = formats[i].f;
			return 0;
		}
	}
	diag_err(d, "unknown format '%s' (allowed: text, json, cdnallow, auto)", v);
	return -EINVAL;
}

static int k_src_json_path(struct config *c, size_t at, const char *v, struct diag *d)
{
	if (!*v) {
		diag_err(d, "empty JSON path (e.g. data.ranges[])");
		return -EINVAL;
	}
	return config_set_string(&c->sources[at].json_path, v);
}

static int k_src_insecure(struct config *c, size_t at, const char *v, struct diag *d)
{
	return config_parse_bool(v, &c->sources[at].insecure, d);
}

static int k_src_floor(struct config *c, size_t at, const char *v, struct diag *d)
{
	return check_floor(v, 1, &c->sources[at].floor, d);
}

static int k_src_max_addresses(struct config *c, size_t at, const char *v, struct diag *d)
{
	struct source_def *s = &c->sources[at];
	int ret = config_parse_addresses(v, s->max_addresses, d);

	if (ret == 0)
		s->has_max_addresses = true;
	return ret;
}

/* [nftables] */
static bool nft_identifier(const char *s, size_t n)
{
	if (n == 0 || n > 255 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static int k_nft_table(struct config *c, size_t at, const char *v, struct diag *d)
{
	const char *sp = strpbrk(v, " \t");
	const char *name = sp;
	size_t flen = sp ? (size_t)(sp - v) : 0;
	char *norm = NULL;

	(void)at;
	while (name && (*name == ' ' || *name == '\t'))
		name++;
	if (!sp || !((flen == 2 && !strncmp(v, "ip", 2)) || (flen == 3 && !strncmp(v, "ip6", 3)) ||
		     (flen == 4 && !strncmp(v, "inet", 4)))) {
		diag_err(d,
			 "'%s' is not 'FAMILY NAME' with FAMILY ip, ip6 or inet "
			 "(e.g. 'inet filter')",
			 v);
		return -EINVAL;
	}
	if (!nft_identifier(name, strlen(name))) {
		diag_err(d, "'%s' is not a valid nftables table name", name);
		return -EINVAL;
	}
	if (strcmp(name, "cdnallow") == 0) {
		diag_err(d, "'cdnallow' is cdnallow's own table; name the table whose input "
			    "chain drops, e.g. 'inet filter'");
		return -EINVAL;
	}
	if (asprintf(&norm, "%.*s %s", (int)flen, v, name) < 0)
		return -ENOMEM;
	free(c->nft_table);
	c->nft_table = norm;
	return 0;
}

static int k_nft_chain(struct config *c, size_t at, const char *v, struct diag *d)
{
	(void)at;
	if (!nft_identifier(v, strlen(v))) {
		diag_err(d, "'%s' is not a valid nftables chain name (e.g. input)", v);
		return -EINVAL;
	}
	return config_set_string(&c->nft_chain, v);
}

/* [ufw] */
static int k_ufw_threshold(struct config *c, size_t at, const char *v, struct diag *d)
{
	unsigned long long n;
	int ret = config_parse_uint(v, 0, FLOOR_MAX, &n, d);

	(void)at;
	if (ret == 0)
		c->ufw_ipset_threshold = (unsigned)n;
	return ret;
}

/* [hooks] */
static int k_on_change(struct config *c, size_t at, const char *v, struct diag *d)
{
	int ret = command_check(v, d);

	(void)at;
	return ret < 0 ? ret : config_set_string(&c->hook_on_change, v);
}

static int k_hook_timeout(struct config *c, size_t at, const char *v, struct diag *d)
{
	unsigned long long n;
	int ret = config_parse_uint(v, 1, COMMAND_MAX_TIMEOUT_S, &n, d);

	(void)at;
	if (ret == 0)
		c->hook_timeout_s = (unsigned)n;
	return ret;
}

static const struct config_key keys_cdnallow[] = {
	{ "providers", 0, k_providers }, { "backend", 1, k_backend },	  { "ports", 2, k_ports },
	{ "mode", 3, k_mode },		 { "state_dir", 4, k_state_dir }, { NULL, 0, NULL },
};
static const struct config_key keys_guard[] = {
	{ "max_shrink", 0, k_max_shrink },
	{ "allow_test_ranges", 1, k_allow_test_ranges },
	{ "max_grow", 2, k_max_grow },
	{ "max_age", 3, k_max_age },
	{ NULL, 0, NULL },
};
static const struct config_key keys_fetch[] = {
	{ "timeout", 0, k_timeout }, { "retries", 1, k_retries }, { "max_size", 2, k_max_size },
	{ "ca_file", 3, k_ca_file }, { NULL, 0, NULL },
};
static const struct config_key keys_provider[] = {
	{ "url", P_URL, k_prov_url },
	{ "path", P_PATH, k_prov_path },
	{ "floor", P_FLOOR, k_prov_floor },
	{ "service", P_FILTER, k_prov_filter },
	{ "tag", P_FILTER, k_prov_filter },
	{ "insecure", P_INSECURE, k_prov_insecure },
	{ "max_addresses", P_MAX_ADDRESSES, k_prov_max_addresses },
	{ NULL, 0, NULL },
};
static const struct config_key keys_source[] = {
	{ "url", S_URL, k_src_url },
	{ "path", S_PATH, k_src_path },
	{ "format", S_FORMAT, k_src_format },
	{ "json_path", S_JSON_PATH, k_src_json_path },
	{ "insecure", S_INSECURE, k_src_insecure },
	{ "floor", S_FLOOR, k_src_floor },
	{ "max_addresses", S_MAX_ADDRESSES, k_src_max_addresses },
	{ NULL, 0, NULL },
};
static const struct config_key keys_nftables[] = {
	{ "table", N_TABLE, k_nft_table },
	{ "chain", N_CHAIN, k_nft_chain },
	{ NULL, 0, NULL },
};
static const struct config_key keys_ufw[] = {
	{ "ipset_threshold", 0, k_ufw_threshold },
	{ NULL, 0, NULL },
};
static const struct config_key keys_hooks[] = {
	{ "on_change", 0, k_on_change },
	{ "timeout", 1, k_hook_timeout },
	{ NULL, 0, NULL },
};

/* Indexed by enum config_sec. */
const struct config_section config_sections[SEC_COUNT] = {
	[SEC_CDNALLOW] = { "cdnallow", false, keys_cdnallow },
	[SEC_GUARD] = { "guard", false, keys_guard },
	[SEC_FETCH] = { "fetch", false, keys_fetch },
	[SEC_PROVIDER] = { "provider", true, keys_provider },
	[SEC_SOURCE] = { "source", true, keys_source },
	[SEC_NFTABLES] = { "nftables", false, keys_nftables },
	[SEC_UFW] = { "ufw", false, keys_ufw },
	[SEC_OUTPUT] = { "output", true, config_output_keys },
	[SEC_HOOKS] = { "hooks", false, keys_hooks },
};
