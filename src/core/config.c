// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * struct config: the built-in defaults, the setters the command line uses to
 * override single fields, and the value parsers the file reader shares with
 * them, so that "--ports 80,x" and "ports = 80,x" fail the same way. A setter
 * never leaves a field half-changed: it parses first and replaces on success.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"
#include "config.h"
#include "config_int.h"
#include "diag.h"

static const char *const backend_names[] = { "auto", "nftables",  "iptables",
					     "ufw",  "firewalld", NULL };

int config_set_string(char **dst, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

int config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = MODE_ALLOW;
	c->ports[0] = 80;
	c->ports[1] = 443;
	c->nports = 2;
	c->max_shrink = 30;
	c->max_grow = 100;
	c->max_age_s = 90L * 86400;
	c->allow_test_ranges = false;
	c->timeout_s = 30;
	c->retries = 3;
	c->max_size = (size_t)16 * 1024 * 1024;
	c->ufw_ipset_threshold = 500;
	c->hook_timeout_s = COMMAND_DEFAULT_TIMEOUT_S;
	c->providers = calloc(1, sizeof(*c->providers));
	c->backend = strdup("auto");
	c->state_dir = strdup(CONFIG_DEFAULT_STATE_DIR);
	if (c->providers) {
		c->providers[0] = strdup("cloudflare");
		c->nproviders = c->providers[0] ? 1 : 0;
	}
	if (!c->providers || !c->nproviders || !c->backend || !c->state_dir) {
		config_release(c);
		return -ENOMEM;
	}
	return 0;
}

static void override_release(struct provider_override *o)
{
	free(o->name);
	for (size_t i = 0; i < o->nurls; i++)
		free(o->urls[i]);
	free(o->filter);
	memset(o, 0, sizeof(*o));
}

static void source_def_release(struct source_def *s)
{
	free(s->name);
	free(s->url);
	free(s->path);
	free(s->json_path);
	memset(s, 0, sizeof(*s));
}

void config_release(struct config *c)
{
	if (!c)
		return;
	free(c->path);
	config_free_list(c->providers, c->nproviders);
	free(c->backend);
	free(c->state_dir);
	free(c->ca_file);
	for (size_t i = 0; i < c->noverrides; i++)
		override_release(&c->overrides[i]);
	free(c->overrides);
	for (size_t i = 0; i < c->nsources; i++)
		source_def_release(&c->sources[i]);
	free(c->sources);
	free(c->nft_table);
	free(c->nft_chain);
	free(c->hook_on_change);
	for (size_t i = 0; i < c->noutputs; i++)
		config_output_release(&c->outputs[i]);
	free(c->outputs);
	memset(c, 0, sizeof(*c));
}

const struct provider_override *config_find_override(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->noverrides; i++)
		if (strcmp(c->overrides[i].name, name) == 0)
			return &c->overrides[i];
	return NULL;
}

int config_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		      unsigned long long *out, struct diag *d)
{
	unsigned long long v = 0;
	bool overflow = false;

	if (!*s)
		goto bad;
	for (const char *p = s; *p; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (*p < '0' || *p > '9')
			goto bad;
		/* keep scanning so "99999999999999999999x" is reported as garbage */
		if (v > (ULLONG_MAX - digit) / 10)
			overflow = true;
		else
			v = v * 10 + digit;
	}
	if (overflow || v < min || v > max) {
		diag_err(d, "'%s' is out of range (allowed: %llu..%llu)", s, min, max);
		return -ERANGE;
	}
	*out = v;
	return 0;
bad:
	diag_err(d, "'%s' is not a whole number (allowed: %llu..%llu)", s, min, max);
	return -EINVAL;
}

int config_parse_bool(const char *s, bool *out, struct diag *d)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	diag_err(d, "'%s' is not a boolean (allowed: true, false, yes, no, on, off, 1, 0)", s);
	return -EINVAL;
}

void config_free_list(char **items, size_t n)
{
	if (!items)
		return;
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

int config_split_list(const char *s, char ***items, size_t *n, struct diag *d)
{
	char **v = NULL;
	size_t count = 0, cap = 0;
	const char *p = s;
	int ret = 0;

	while (isspace((unsigned char)*p))
		p++;
	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *b = p, *e = end;

		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (b == e) {
			diag_err(d, "empty item in list '%s'", s);
			ret = -EINVAL;
			goto fail;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			char **nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				ret = -ENOMEM;
				goto fail;
			}
			v = nv;
			cap = ncap;
		}
		v[count] = strndup(b, (size_t)(e - b));
		if (!v[count]) {
			ret = -ENOMEM;
			goto fail;
		}
		count++;
		if (!comma)
			break;
		p = comma + 1;
		/* "a," ends in an empty item, which the loop cannot see */
		if (!*p) {
			diag_err(d, "empty item in list '%s'", s);
			ret = -EINVAL;
			goto fail;
		}
	}
	*items = v;
	*n = count;
	return 0;
fail:
	config_free_list(v, count);
	return ret;
}

int config_check_path(const char *s, const char *what, struct diag *d)
{
	if (s[0] != '/') {
		diag_err(d, "%s '%s' is not an absolute path", what, s);
		return -EINVAL;
	}
	for (const char *p = s; *p; p++) {
		if (iscntrl((unsigned char)*p)) {
			diag_err(d, "%s '%s' contains a control character", what, s);
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_one_budget(const char *s, unsigned width, double *out)
{
	static const char suffix[] = "kMGT";
	unsigned long long n = 0;
	const char *p = s;
	double v;

	if (*p == '/') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9' && n <= 128; p++)
			n = n * 10 + (unsigned)(*p - '0');
		if (*p || n > width)
			return -EINVAL;
		*out = ldexp(1.0, (int)(width - n));
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9' && n < (1ULL << 50); p++)
		n = n * 10 + (unsigned)(*p - '0');
	v = (double)n;
	if (*p && strchr(suffix, *p) && !p[1])
		v = ldexp(v, 10 * (int)(strchr(suffix, *p) - suffix + 1));
	else if (*p)
		return -EINVAL;
	if (v < 1 || v > ldexp(1.0, (int)width))
		return -EINVAL;
	*out = v;
	return 0;
}

int config_parse_addresses(const char *s, double out[2], struct diag *d)
{
	char **items = NULL;
	double v[2];
	size_t n = 0;
	int ret = config_split_list(s, &items, &n, d);

	if (ret < 0)
		return ret;
	if (n != 2 || parse_one_budget(items[0], 32, &v[0]) < 0 ||
	    parse_one_budget(items[1], 128, &v[1]) < 0) {
		diag_err(d,
			 "'%s' is not 'IPV4, IPV6' address budgets (each a count with an optional "
			 "k, M, G or T suffix, or /N for the size of one prefix of that length, "
			 "e.g. '/12, /28')",
			 s);
		ret = -EINVAL;
	} else {
		out[0] = v[0];
		out[1] = v[1];
	}
	config_free_list(items, n);
	return ret;
}

int config_parse_size(const char *s, size_t *out)
{
	unsigned long long v = 0, mult = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (v > (SIZE_MAX - digit) / 10)
			return -ERANGE;
		v = v * 10 + digit;
	}
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1024ULL;
		break;
	case 'm':
	case 'M':
		mult = 1024ULL * 1024;
		break;
	case 'g':
	case 'G':
		mult = 1024ULL * 1024 * 1024;
		break;
	default:
		return -EINVAL;
	}
	if (*p && p[1])
		return -EINVAL;
	if (v > SIZE_MAX / mult)
		return -ERANGE;
	*out = (size_t)(v * mult);
	return 0;
}

int config_parse_ports(const char *s, uint16_t *ports, size_t *nports, struct diag *d)
{
	uint16_t tmp[BACKEND_MAX_PORTS];
	char **items = NULL;
	size_t n = 0;
	int ret;

	ret = config_split_list(s, &items, &n, d);
	if (ret < 0)
		return ret;
	if (n == 0) {
		diag_err(d, "no port given (allowed: a comma list of 1..65535)");
		ret = -EINVAL;
		goto out;
	}
	if (n > BACKEND_MAX_PORTS) {
		diag_err(d, "%zu ports given, at most %d allowed", n, BACKEND_MAX_PORTS);
		ret = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned long long v;

		ret = config_parse_uint(items[i], 1, 65535, &v, NULL);
		if (ret < 0) {
			diag_err(d, "port '%s' is not a number in 1..65535", items[i]);
			ret = -EINVAL;
			goto out;
		}
		for (size_t j = 0; j < i; j++) {
			if (tmp[j] == v) {
				diag_err(d, "port %llu listed twice", v);
				ret = -EINVAL;
				goto out;
			}
		}
		tmp[i] = (uint16_t)v;
	}
	memcpy(ports, tmp, n * sizeof(tmp[0]));
	*nports = n;
out:
	config_free_list(items, n);
	return ret;
}

static void known_providers(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; provider_registry[i] && len + 1 < size; i++) {
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
					provider_registry[i]->name);
	}
}

int config_check_provider(const char *name, struct diag *d)
{
	const struct provider *p = provider_find(name);
	char known[512];

	if (p)
		return 0;
	known_providers(known, sizeof(known));
	diag_err(d, "unknown provider '%s' (known: %s)", name, known);
	return -EINVAL;
}

int config_set_providers(struct config *c, const char *list, struct diag *d)
{
	char **items = NULL;
	size_t n = 0;
	int ret;

	ret = config_split_list(list, &items, &n, d);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++) {
		ret = config_check_provider(items[i], d);
		if (ret < 0)
			goto fail;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(items[i], items[j]) == 0) {
				diag_err(d, "provider '%s' listed twice", items[i]);
				ret = -EINVAL;
				goto fail;
			}
		}
	}
	config_free_list(c->providers, c->nproviders);
	c->providers = items;
	c->nproviders = n;
	return 0;
fail:
	config_free_list(items, n);
	return ret;
}

int config_set_backend(struct config *c, const char *name, struct diag *d)
{
	for (size_t i = 0; backend_names[i]; i++)
		if (strcmp(name, backend_names[i]) == 0)
			return config_set_string(&c->backend, name);
	diag_err(d, "unknown backend '%s' (allowed: auto, nftables, iptables, ufw, firewalld)",
		 name);
	return -EINVAL;
}

int config_set_mode(struct config *c, const char *s, struct diag *d)
{
	if (strcmp(s, "allow") == 0) {
		c->mode = MODE_ALLOW;
		return 0;
	}
	if (strcmp(s, "lockdown") == 0) {
		c->mode = MODE_LOCKDOWN;
		return 0;
	}
	if (strcmp(s, "sets") == 0) {
		c->mode = MODE_SETS;
		return 0;
	}
	diag_err(d, "unknown mode '%s' (allowed: allow, lockdown, sets)", s);
	return -EINVAL;
}

int config_set_state_dir(struct config *c, const char *dir, struct diag *d)
{
	int ret = config_check_path(dir, "state dir", d);

	if (ret < 0)
		return ret;
	return config_set_string(&c->state_dir, dir);
}
