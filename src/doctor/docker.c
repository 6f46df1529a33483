// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Doctor check 4: ports published by DNAT (Docker's nat table, native nft
 * dnat rules, iptables-nft's DNAT target that nft's JSON shows only as an
 * opaque "xt" target, iptables-legacy) whose traffic goes through FORWARD and
 * never meets the INPUT rules the allowlist lives in. Says for each published
 * port whether cdnallow's lockdown chain (prerouting, before DNAT) covers it.
 * Reads the kernel's rules; changes nothing.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "read.h"

static bool has_lockdown_chain(json_t *items)
{
	json_t *it, *ch;
	size_t i;

	json_array_foreach (items, i, it) {
		ch = json_object_get(it, "chain");
		if (ch &&
		    !strcmp(json_string_value(json_object_get(ch, "table")) ?: "", "cdnallow") &&
		    json_object_get(ch, "hook"))
			return true;
	}
	return false;
}

/* "tcp dport 8080" of a rule, or 0 when it matches no single port. */
static long rule_dport(json_t *expr)
{
	json_t *st, *m;
	size_t i;

	json_array_foreach (expr, i, st) {
		m = json_object_get(st, "match");
		json_t *pl = json_object_get(json_object_get(m, "left"), "payload");

		if (pl && !strcmp(json_string_value(json_object_get(pl, "field")) ?: "", "dport") &&
		    json_is_integer(json_object_get(m, "right")))
			return (long)json_integer_value(json_object_get(m, "right"));
	}
	return 0;
}

static bool is_web_port(const struct doctor_ctx *c, long port)
{
	for (size_t i = 0; i < c->nports; i++) {
		if (c->ports[i] == port)
			return true;
	}
	return false;
}

static void report(const struct doctor_ctx *c, bool lockdown, long port, const char *to,
		   const char *where, struct findings *f)
{
	if (lockdown && is_web_port(c, port))
		return; /* the lockdown chain at prerouting -150 drops non-CDN sources first */
	findings_add(f, "docker", SEV_WARNING,
		     lockdown
			     ? "add the port to ports = in cdnallow.conf and sync, or filter it in "
			       "DOCKER-USER"
			     : "DNAT-forwarded traffic goes through FORWARD, not INPUT: use --mode "
			       "lockdown (its prerouting chain runs before DNAT) or filter in "
			       "DOCKER-USER",
		     "tcp/%ld is published by DNAT to %s (%s) and bypasses the INPUT rules%s", port,
		     to, where,
		     lockdown ? "; the lockdown chain does not cover it (not a configured port)"
		     : c->lockdown ? " (lockdown mode is configured but not installed)"
				   : "");
}

/* Native nft dnat statements (iptables-nft's xt DNAT is read from its save text). */
static void from_json(const struct doctor_ctx *c, json_t *items, bool lockdown, struct findings *f)
{
	json_t *it, *rule, *st, *dnat;
	size_t i, j;

	json_array_foreach (items, i, it) {
		rule = json_object_get(it, "rule");
		json_array_foreach (json_object_get(rule, "expr"), j, st) {
			char to[96], where[160];

			dnat = json_object_get(st, "dnat");
			if (!dnat)
				continue;
			snprintf(to, sizeof(to), "%.60s:%lld",
				 json_string_value(json_object_get(dnat, "addr")) ?: "?",
				 (long long)json_integer_value(json_object_get(dnat, "port")));
			snprintf(where, sizeof(where), "table %s %s chain %s",
				 json_string_value(json_object_get(rule, "family")) ?: "?",
				 json_string_value(json_object_get(rule, "table")) ?: "?",
				 json_string_value(json_object_get(rule, "chain")) ?: "?");
			report(c, lockdown, rule_dport(json_object_get(rule, "expr")), to, where,
			       f);
		}
	}
}

/* "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 443 -j DNAT --to-destination 172.17.0.2:443" */
static void from_save(const struct doctor_ctx *c, const char *save, const char *label,
		      bool lockdown, struct findings *f)
{
	bool nat = false;

	for (const char *s = save; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		char line[1024], chain[64] = "?", to[96] = "?", where[160];
		const char *p;
		long port = 0;
		size_t len = strcspn(s, "\n");

		if (*s == '*')
			nat = !strncmp(s, "*nat\n", 5);
		if (!nat || strncmp(s, "-A ", 3) || len >= sizeof(line))
			continue;
		memcpy(line, s, len);
		line[len] = '\0';
		if (!strstr(line, " -j DNAT"))
			continue;
		sscanf(line + 3, "%63s", chain);
		p = strstr(line, "--dport ");
		if (p)
			port = strtol(p + 8, NULL, 10);
		p = strstr(line, "--to-destination ");
		if (p)
			sscanf(p + 17, "%95s", to);
		snprintf(where, sizeof(where), "%s table nat chain %s", label, chain);
		report(c, lockdown, port, to, where, f);
	}
}

int doctor_check_docker(const struct doctor_ctx *c, struct findings *f, struct diag *d)
{
	static const char *const progs[] = { "iptables-nft-save", "iptables-legacy-save" };
	char *text = doctor_read_nft(true), *save;
	json_t *root = text ? json_loads(text, 0, NULL) : NULL;
	json_t *items = json_object_get(root, "nftables");
	bool lockdown = json_is_array(items) && has_lockdown_chain(items);

	(void)d;
	free(text);
	if (json_is_array(items))
		from_json(c, items, lockdown, f);
	json_decref(root);
	for (size_t i = 0; i < 2; i++) {
		save = doctor_read_save(progs[i]);
		from_save(c, save, progs[i][9] == 'n' ? "iptables-nft" : "iptables-legacy",
			  lockdown, f);
		free(save);
	}
	return 0;
}
