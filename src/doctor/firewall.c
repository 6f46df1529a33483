// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Doctor checks 3 and 4: would every place that can drop a packet — each
 * nftables filter base chain (native, iptables-nft, ufw, firewalld, Docker,
 * cdnallow's own) and iptables-legacy — let a CDN node through on every web
 * port; which table, chain and rule would drop it; is the allowlist pointless
 * (the port is open to all); do DNAT-published ports bypass INPUT. Reads the
 * kernel's own view (libnftables JSON, iptables-legacy-save); changes nothing.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "build_config.h"
#include "diag.h"
#include "doctor.h"
#include "prefix_set.h"
#include "spawn.h"

#if HAVE_LIBNFTABLES
#include <nftables/libnftables.h>
#endif

#define SAMPLES 3

struct rulesets {
	char *nft_json;	 /* owned, or NULL without nftables */
	char *nft_text;	 /* `nft -a list ruleset`: rules quoted as the admin wrote them */
	char *ipsets;	 /* `ipset save`: members of the sets iptables rules match */
	char *legacy[2]; /* iptables-legacy-save, ip6tables-legacy-save; NULL when empty */
	/*
	 * iptables-nft-save, ip6tables-nft-save: the nftables JSON shows their
	 * multiport/comment/set matches only as opaque "xt" expressions, the save
	 * text shows them whole, so those tables are judged from the text.
	 */
	char *xt[2];
};

/* Tables iptables-nft made: judged from iptables-nft-save instead of the JSON. */
static bool xt_table(const char *where)
{
	static const char *const t[] = {
		"table ip filter ",  "table ip raw ",  "table ip mangle ",
		"table ip6 filter ", "table ip6 raw ", "table ip6 mangle "
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!strncmp(where, t[i], strlen(t[i])))
			return true;
	}
	return false;
}

static char *nft_ruleset(bool json)
{
	char *out = NULL;
#if HAVE_LIBNFTABLES
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!ctx)
		return NULL;
	nft_ctx_output_set_flags(ctx, json ? NFT_CTX_OUTPUT_JSON : NFT_CTX_OUTPUT_HANDLE);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, "list ruleset") == 0)
		out = strdup(nft_ctx_get_output_buffer(ctx));
	nft_ctx_free(ctx);
#else
	static const char *const argv[] = { "nft", "-j", "list", "ruleset", NULL };
	static const char *const targv[] = { "nft", "-a", "list", "ruleset", NULL };
	struct spawn_opts o = { .argv = json ? argv : targv, .timeout_ms = 30000 };
	struct spawn_result r = { 0 };

	if (spawn_run_checked(&o, &r, NULL) == 0) {
		out = r.out;
		r.out = NULL;
	}
	spawn_result_release(&r);
#endif
	return out;
}

/* iptables-legacy-save output when legacy tables hold rules or a drop policy, else NULL. */
static char *legacy_save(const char *prog)
{
	const char *const argv[] = { prog, NULL };
	struct spawn_opts o = { .argv = argv, .timeout_ms = 30000 };
	struct spawn_result r = { 0 };
	char *out = NULL;

	if (spawn_run_checked(&o, &r, NULL) == 0 &&
	    (strstr(r.out, "\n-A ") || strstr(r.out, " DROP ["))) {
		out = r.out;
		r.out = NULL;
	}
	spawn_result_release(&r);
	return out;
}

/* `ipset save` of every set, or NULL (no ipset, no set). */
static char *ipset_save_all(void)
{
	static const char *const argv[] = { "ipset", "save", NULL };
	struct spawn_opts o = { .argv = argv, .timeout_ms = 30000 };
	struct spawn_result r = { 0 };
	char *out = NULL;

	if (spawn_run_checked(&o, &r, NULL) == 0) {
		out = r.out;
		r.out = NULL;
	}
	spawn_result_release(&r);
	return out;
}

static void rulesets_load(struct rulesets *rs)
{
	rs->nft_json = nft_ruleset(true);
	rs->nft_text = rs->nft_json ? nft_ruleset(false) : NULL;
	rs->ipsets = ipset_save_all();
	rs->legacy[0] = legacy_save("iptables-legacy-save");
	rs->legacy[1] = legacy_save("ip6tables-legacy-save");
	rs->xt[0] = legacy_save("iptables-nft-save");
	rs->xt[1] = legacy_save("ip6tables-nft-save");
}

static void rulesets_release(struct rulesets *rs)
{
	free(rs->nft_json);
	free(rs->nft_text);
	free(rs->ipsets);
	free(rs->legacy[0]);
	free(rs->legacy[1]);
	free(rs->xt[0]);
	free(rs->xt[1]);
}

static int append(struct chain_verdict **v, size_t *n, struct chain_verdict *add, size_t nadd)
{
	struct chain_verdict *nv = realloc(*v, (*n + nadd + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	if (nadd)
		memcpy(nv + *n, add, nadd * sizeof(*add));
	*v = nv;
	*n += nadd;
	return 0;
}

/* All verdicts for one probe: nftables, iptables-nft (from its save text) and legacy. */
static int evaluate(const struct rulesets *rs, const struct probe *p, struct chain_verdict **v,
		    size_t *n, struct diag *d)
{
	const char *xt = rs->xt[p->family == AF_INET6];
	const char *legacy = rs->legacy[p->family == AF_INET6];
	struct chain_verdict *a = NULL, *b = NULL, *c = NULL;
	size_t na = 0, nb = 0, nc = 0, keep = 0;
	int ret = 0;

	*v = NULL;
	*n = 0;
	if (rs->nft_json)
		ret = nft_eval_ruleset(rs->nft_json, strlen(rs->nft_json), rs->nft_text, p, &a, &na,
				       d);
	for (size_t i = 0; ret >= 0 && i < na; i++) {
		if (!xt || !xt_table(a[i].where))
			a[keep++] = a[i];
	}
	na = keep;
	if (ret >= 0 && xt)
		ret = legacy_eval_save(xt, rs->ipsets, "iptables-nft", p, &b, &nb, d);
	if (ret >= 0 && legacy)
		ret = legacy_eval_save(legacy, rs->ipsets, "iptables-legacy", p, &c, &nc, d);
	if (ret >= 0)
		ret = append(v, n, a, na);
	if (ret == 0)
		ret = append(v, n, b, nb);
	if (ret == 0)
		ret = append(v, n, c, nc);
	if (ret < 0) {
		free(*v);
		*v = NULL;
		*n = 0;
	}
	free(a);
	free(b);
	free(c);
	return ret < 0 ? ret : 0;
}

static const char *fix_for(const struct chain_verdict *v)
{
	if (strstr(v->because, "ufw-user-input") || strstr(v->because, "ufw6-user-input"))
		return "an admin's ufw rule drops it before cdnallow's rules: find it with `ufw "
		       "status numbered` and delete it or move it below them";
	if (strstr(v->where, "table inet cdnallow"))
		return "cdnallow's lockdown table lacks this range: run cdnallow sync";
	if (strstr(v->because, "ufw") || strstr(v->where, "ufw"))
		return "ufw drops it: run cdnallow -b ufw sync (ufw is this host's firewall)";
	if (strstr(v->where, "firewalld"))
		return "firewalld drops it: run cdnallow -b firewalld sync";
	if (strstr(v->where, "legacy"))
		return "iptables-legacy drops it: run cdnallow -b iptables sync (it detects "
		       "legacy)";
	if (strstr(v->where, "table ip filter") || strstr(v->where, "table ip6 filter"))
		return "iptables(-nft) drops it: run cdnallow -b iptables sync";
	return "allow the CDN inside this table: cdnallow sync with [nftables] table = FAMILY "
	       "NAME and chain = CHAIN set to it (an accept in another table never overrides "
	       "this drop)";
}

static void probe_from(const struct prefix *p, uint16_t port, struct probe *pr)
{
	memset(pr, 0, sizeof(*pr));
	pr->family = p->family;
	prefix_first_bytes(p, pr->saddr);
	pr->dport = port;
}

static bool already(const struct findings *f, size_t from, const char *where)
{
	for (size_t i = from; i < f->n; i++) {
		if (strstr(f->v[i].message, where))
			return true;
	}
	return false;
}

static int check_cdn(const struct doctor_ctx *c, const struct rulesets *rs, int family,
		     struct findings *f, struct diag *d)
{
	size_t first = f->n, idx[SAMPLES], nfam = 0, k = 0;
	char addr[PREFIX_STRLEN];
	int ret = 0;

	for (size_t i = 0; i < c->cdn->n; i++) {
		if (c->cdn->v[i].family != family)
			continue;
		if (nfam == 0)
			idx[k++] = i;
		nfam++;
	}
	if (!nfam)
		return 0;
	/* the middle and the last prefix of the family too: partial allowlists show */
	for (size_t i = 0, seen = 0; i < c->cdn->n && k < SAMPLES; i++) {
		if (c->cdn->v[i].family != family)
			continue;
		seen++;
		if ((seen == nfam / 2 + 1 && nfam > 2) || (seen == nfam && nfam > 1))
			idx[k++] = i;
	}
	for (size_t s = 0; s < k && ret == 0; s++) {
		for (size_t pi = 0; pi < c->nports && ret == 0; pi++) {
			struct chain_verdict *v = NULL;
			struct probe pr;
			size_t n = 0;

			probe_from(&c->cdn->v[idx[s]], c->ports[pi], &pr);
			ret = evaluate(rs, &pr, &v, &n, d);
			prefix_format(&c->cdn->v[idx[s]], addr, sizeof(addr));
			for (size_t i = 0; ret == 0 && i < n; i++) {
				if (v[i].verdict != VERDICT_DROP || already(f, first, v[i].where))
					continue;
				findings_add(
					f, "firewall", v[i].uncertain ? SEV_WARNING : SEV_ERROR,
					fix_for(&v[i]),
					"%s %s tcp/%u from the CDN (%s, e.g. %s): %s", v[i].where,
					v[i].uncertain ? "may drop" : "drops", c->ports[pi],
					family == AF_INET ? "IPv4" : "IPv6", addr, v[i].because);
			}
			free(v);
		}
	}
	return ret;
}

/* An address outside the CDN ranges: does the port accept everybody? */
static int check_open_to_all(const struct doctor_ctx *c, const struct rulesets *rs,
			     struct findings *f, struct diag *d)
{
	static const char *const outsiders[] = { "198.51.100.77/32", "192.0.2.77/32",
						 "203.0.113.77/32", "100.100.100.100/32" };
	struct prefix out;
	int ret = 0;
	size_t i;

	for (i = 0; i < sizeof(outsiders) / sizeof(outsiders[0]); i++) {
		prefix_parse(outsiders[i], strlen(outsiders[i]), &out, NULL);
		if (!prefix_set_contains(c->cdn, &out))
			break;
	}
	if (i == sizeof(outsiders) / sizeof(outsiders[0]))
		return 0;
	for (size_t pi = 0; pi < c->nports && ret == 0; pi++) {
		struct chain_verdict *v = NULL;
		struct probe pr;
		size_t n = 0;
		bool dropped = false, uncertain = false;

		probe_from(&out, c->ports[pi], &pr);
		ret = evaluate(rs, &pr, &v, &n, d);
		for (size_t j = 0; ret == 0 && j < n; j++) {
			dropped |= v[j].verdict == VERDICT_DROP;
			uncertain |= v[j].uncertain;
		}
		free(v);
		if (ret < 0 || dropped || uncertain)
			continue;
		if (c->lockdown)
			findings_add(
				f, "firewall", SEV_ERROR,
				"run cdnallow --mode lockdown sync; check nothing deletes table "
				"inet cdnallow",
				"lockdown is configured but tcp/%u accepts connections from "
				"everyone (probed with %s)",
				c->ports[pi], outsiders[i]);
		else
			findings_add(
				f, "firewall", SEV_WARNING,
				"use --mode lockdown (mode = lockdown) to close the port to "
				"non-CDN sources, or give the firewall a drop policy",
				"tcp/%u accepts connections from everyone: the allowlist changes "
				"nothing and the origin is reachable around the CDN",
				c->ports[pi]);
	}
	return ret;
}

int doctor_check_firewall(const struct doctor_ctx *c, struct findings *f, struct diag *d)
{
	struct rulesets rs = { 0 };
	int ret;

	rulesets_load(&rs);
	if (!rs.nft_json && !rs.legacy[0] && !rs.legacy[1]) {
		diag_err(d, "cannot read the firewall rules (nft list ruleset failed: not root?)");
		return -EACCES;
	}
	ret = check_cdn(c, &rs, AF_INET, f, d);
	if (ret == 0)
		ret = check_cdn(c, &rs, AF_INET6, f, d);
	if (ret == 0)
		ret = check_open_to_all(c, &rs, f, d);
	rulesets_release(&rs);
	return ret;
}

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

int doctor_check_docker(const struct doctor_ctx *c, struct findings *f, struct diag *d)
{
	char *text = nft_ruleset(true);
	json_t *root, *items, *it, *rule, *st;
	size_t i, j;

	(void)d;
	if (!text)
		return 0;
	root = json_loads(text, 0, NULL);
	free(text);
	items = json_object_get(root, "nftables");
	if (!json_is_array(items) || has_lockdown_chain(items)) {
		json_decref(root);
		return 0; /* lockdown at prerouting -150 runs before DNAT and covers them */
	}
	json_array_foreach (items, i, it) {
		rule = json_object_get(it, "rule");
		json_array_foreach (json_object_get(rule, "expr"), j, st) {
			json_t *dnat = json_object_get(st, "dnat");
			long port;

			if (!dnat)
				continue;
			port = rule_dport(json_object_get(rule, "expr"));
			findings_add(
				f, "docker", SEV_WARNING,
				"DNAT-forwarded traffic goes through FORWARD, not INPUT: use "
				"--mode "
				"lockdown (its prerouting chain runs before DNAT) or filter in "
				"DOCKER-USER",
				"tcp/%ld is published by DNAT to %s:%lld (table %s %s chain %s) "
				"and "
				"bypasses the INPUT rules%s",
				port, json_string_value(json_object_get(dnat, "addr")) ?: "?",
				(long long)json_integer_value(json_object_get(dnat, "port")),
				json_string_value(json_object_get(rule, "family")),
				json_string_value(json_object_get(rule, "table")),
				json_string_value(json_object_get(rule, "chain")),
				c->lockdown ? " (lockdown mode is configured but not installed)"
					    : "");
		}
	}
	json_decref(root);
	return 0;
}
