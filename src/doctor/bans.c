// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ban lists that hold CDN addresses: fail2ban's f2b-table, CrowdSec's
 * crowdsec tables, any set or address a drop/reject rule on the web ports
 * matches. Probing one address per prefix cannot find a ban of one CDN node,
 * so every such element is intersected with the CDN ranges, and each hit is
 * checked against the rest of its rule (ports, protocol, family) with a probe
 * from that very address. Pure evaluation of ruleset texts; runs nothing.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "doctor.h"
#include "nft_match.h"
#include "prefix.h"
#include "prefix_set.h"

struct banctx {
	const struct prefix_set *cdn;
	const uint16_t *ports;
	size_t nports;
	struct ban **out;
	size_t *n;
};

static bool str_is(json_t *j, const char *s)
{
	return json_is_string(j) && !strcmp(json_string_value(j), s);
}

/* Records addr as banned in where (one entry per where). */
static int ban_add(struct banctx *b, const char *where, const char *addr, bool rule_level)
{
	struct ban *v = NULL, *nv;
	size_t len;

	for (size_t i = 0; i < *b->n && !v; i++) {
		if (!strcmp((*b->out)[i].where, where))
			v = &(*b->out)[i];
	}
	if (!v) {
		nv = realloc(*b->out, (*b->n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*b->out = nv;
		v = &nv[(*b->n)++];
		memset(v, 0, sizeof(*v));
		snprintf(v->where, sizeof(v->where), "%s", where);
		v->rule_level = rule_level;
	}
	for (const char *s = v->addrs; (s = strstr(s, addr)); s++) {
		len = strlen(addr);
		if ((s == v->addrs || s[-1] == ' ') && (s[len] == ',' || !s[len]))
			return 0;
	}
	v->count++;
	len = strlen(v->addrs);
	if (len + strlen(addr) + 3 < sizeof(v->addrs))
		snprintf(v->addrs + len, sizeof(v->addrs) - len, "%s%s", len ? ", " : "", addr);
	else if (!strstr(v->addrs, ", …"))
		snprintf(v->addrs + sizeof(v->addrs) - 6, 6, ", …");
	return 0;
}

/* The CDN prefix overlapping p, or NULL. */
static const struct prefix *cdn_overlap(const struct prefix_set *cdn, const struct prefix *p)
{
	for (size_t i = 0; i < cdn->n; i++) {
		if (prefix_contains(&cdn->v[i], p) || prefix_contains(p, &cdn->v[i]))
			return &cdn->v[i];
	}
	return NULL;
}

/* Would this rule drop a CDN connection from addr to one of the web ports? */
static bool nft_rule_drops(struct nft_ev *e, json_t *rule, const struct prefix *addr,
			   const struct banctx *b)
{
	struct probe p = { .family = addr->family };
	json_t *st, *m;
	size_t i;

	prefix_first_bytes(addr, p.saddr);
	e->p = &p;
	prefix_from_bytes(p.family, p.saddr, p.family == AF_INET ? 32 : 128, &e->src);
	for (size_t pi = 0; pi < b->nports; pi++) {
		bool no = false;

		p.dport = b->ports[pi];
		json_array_foreach (json_object_get(rule, "expr"), i, st) {
			m = json_object_get(st, "match");
			if (m && nft_ev_match(e, m) == NO)
				no = true;
		}
		if (!no)
			return true;
	}
	return false;
}

static bool nft_is_drop(json_t *rule)
{
	json_t *st, *x;
	size_t i;

	json_array_foreach (json_object_get(rule, "expr"), i, st) {
		x = json_object_get(st, "xt");
		if (json_object_get(st, "drop") || json_object_get(st, "reject") ||
		    (x && str_is(json_object_get(x, "name"), "REJECT")))
			return true;
	}
	return false;
}

/* The elements of every saddr match of a drop rule that overlap the CDN. */
static int nft_rule_bans(struct banctx *b, struct nft_ev *e, json_t *rule)
{
	json_t *st, *m, *elems, *el, *right;
	size_t i, j;
	int ret = 0;

	json_array_foreach (json_object_get(rule, "expr"), i, st) {
		json_t *pl = json_object_get(json_object_get(json_object_get(st, "match"), "left"),
					     "payload");
		char where[160], addr[PREFIX_STRLEN];
		int kind;

		m = json_object_get(st, "match");
		if (!pl || !str_is(json_object_get(pl, "field"), "saddr") ||
		    str_is(json_object_get(m, "op"), "!="))
			continue;
		right = json_object_get(m, "right");
		kind = nft_right_elems(e, right, &elems);
		if (kind < 0)
			continue;
		if (!kind)
			elems = right;
		if (json_is_string(right) && json_string_value(right)[0] == '@')
			snprintf(where, sizeof(where), "table %s %s set %s", e->family, e->table,
				 json_string_value(right) + 1);
		else
			snprintf(where, sizeof(where), "table %s %s chain %s rule handle %lld",
				 e->family, e->table,
				 json_string_value(json_object_get(rule, "chain")) ?: "?",
				 (long long)json_integer_value(json_object_get(rule, "handle")));
		for (j = 0; ret == 0 && j < (json_is_array(elems) ? json_array_size(elems) : 1);
		     j++) {
			struct prefix p;
			const struct prefix *c;

			el = json_is_array(elems) ? json_array_get(elems, j) : elems;
			if (json_is_object(el) && json_object_get(el, "elem"))
				el = json_object_get(json_object_get(el, "elem"), "val");
			if (nft_elem_prefix(el, &p) < 0)
				continue;
			c = cdn_overlap(b->cdn, &p);
			if (!c || !nft_rule_drops(e, rule, prefix_contains(c, &p) ? &p : c, b))
				continue;
			prefix_format(prefix_contains(c, &p) ? &p : c, addr, sizeof(addr));
			ret = ban_add(b, where, addr, kind == 0 || !json_is_string(right));
		}
	}
	return ret;
}

/* Tables iptables-nft made, judged from its save text when the caller has it. */
static bool xt_table(const char *family, const char *table)
{
	return (!strcmp(family, "ip") || !strcmp(family, "ip6")) &&
	       (!strcmp(table, "filter") || !strcmp(table, "raw") || !strcmp(table, "mangle"));
}

int doctor_bans_nft(const char *json, size_t len, bool skip_xt, const struct prefix_set *cdn,
		    const uint16_t *ports, size_t nports, struct ban **out, size_t *n,
		    struct diag *d)
{
	struct banctx b = { .cdn = cdn, .ports = ports, .nports = nports, .out = out, .n = n };
	struct nft_ev e = { 0 };
	json_error_t jerr;
	json_t *root, *it, *rule;
	size_t i;
	int ret = 0;

	root = json_loadb(json, len, 0, &jerr);
	e.items = json_object_get(root, "nftables");
	if (!json_is_array(e.items)) {
		diag_err(d, "nft ruleset JSON: %s", root ? "no \"nftables\" array" : jerr.text);
		ret = -EBADMSG;
		goto out;
	}
	json_array_foreach (e.items, i, it) {
		rule = json_object_get(it, "rule");
		e.family = json_string_value(json_object_get(rule, "family"));
		e.table = json_string_value(json_object_get(rule, "table"));
		if (!rule || !e.family || !e.table || !nft_is_drop(rule) ||
		    (strcmp(e.family, "inet") && strcmp(e.family, "ip") &&
		     strcmp(e.family, "ip6")) ||
		    (skip_xt && xt_table(e.family, e.table)))
			continue;
		ret = nft_rule_bans(&b, &e, rule);
		if (ret < 0)
			goto out;
	}
out:
	json_decref(root);
	if (ret < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return ret;
}

/* Does this iptables-save rule apply to TCP on a web port? ("-p udp", "--dports 22": no) */
static bool ipt_on_web_port(char **tok, size_t n, const struct banctx *b)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (!strcmp(tok[i], "-j"))
			break;
		if (!strcmp(tok[i], "-p") && strcmp(tok[i + 1], "tcp") && strcmp(tok[i + 1], "6") &&
		    strcmp(tok[i + 1], "all") && (i == 0 || strcmp(tok[i - 1], "!")))
			return false;
		if (strcmp(tok[i], "--dport") && strcmp(tok[i], "--dports") &&
		    strcmp(tok[i], "--destination-port"))
			continue;
		for (size_t p = 0; p < b->nports; p++) {
			char buf[256], *save = NULL;

			snprintf(buf, sizeof(buf), "%s", tok[i + 1]);
			for (char *it = strtok_r(buf, ",", &save); it;
			     it = strtok_r(NULL, ",", &save)) {
				unsigned lo = 0, hi = 0;
				int k = sscanf(it, "%u:%u", &lo, &hi);

				if ((k == 1 && lo == b->ports[p]) ||
				    (k == 2 && lo <= b->ports[p] && b->ports[p] <= hi) || k < 1)
					return true;
			}
		}
		return false;
	}
	return true;
}

static size_t split(char *line, char **tok, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < max;
	     t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	return n;
}

/* Is chain (not a built-in one) reached from a rule on a web port? fail2ban jumps per port. */
static bool ipt_chain_on_web(const char *save, const char *chain, const struct banctx *b)
{
	char want[96], line[2048], *tok[96];

	if (!strcmp(chain, "INPUT") || !strcmp(chain, "PREROUTING"))
		return true;
	snprintf(want, sizeof(want), "-j %s", chain);
	for (const char *s = save; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		size_t len = strcspn(s, "\n"), n;

		if (strncmp(s, "-A ", 3) || len >= sizeof(line))
			continue;
		memcpy(line, s, len);
		line[len] = '\0';
		if (!strstr(line, want) || strcmp(strstr(line, want) + strlen(want), ""))
			continue;
		n = split(line, tok, 96);
		if (ipt_on_web_port(tok, n, b))
			return true;
	}
	return false;
}

/* The CDN addresses an ipset holds ("add NAME ENTRY" lines of `ipset save`). */
static int ipset_bans(struct banctx *b, const char *ipsets, const char *name, const char *where)
{
	char add[64];
	int ret = 0;

	snprintf(add, sizeof(add), "add %s ", name);
	for (const char *s = ipsets; ret == 0 && s && *s;
	     s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		char entry[96] = "", addr[PREFIX_STRLEN];
		struct prefix p;
		const struct prefix *c;

		if (strncmp(s, add, strlen(add)))
			continue;
		sscanf(s + strlen(add), "%95[^ ,\n]", entry);
		if (prefix_parse(entry, strlen(entry), &p, NULL) < 0)
			continue;
		c = cdn_overlap(b->cdn, &p);
		if (!c)
			continue;
		prefix_format(prefix_contains(c, &p) ? &p : c, addr, sizeof(addr));
		ret = ban_add(b, where, addr, false);
	}
	return ret;
}

/* One "-A CHAIN … -j DROP|REJECT" line: its -s address or --match-set members. */
static int ipt_rule_bans(struct banctx *b, const char *save, const char *ipsets, const char *label,
			 char *line)
{
	char *tok[96], where[160], addr[PREFIX_STRLEN];
	size_t n = split(line, tok, 96);
	struct prefix p;
	const struct prefix *c;

	if (n < 4 || !ipt_on_web_port(tok, n, b) || !ipt_chain_on_web(save, tok[1], b))
		return 0;
	for (size_t i = 2; i + 1 < n && strcmp(tok[i], "-j"); i++) {
		if (!strcmp(tok[i - 1], "!"))
			continue;
		if (!strcmp(tok[i], "--match-set") && i + 2 < n && !strncmp(tok[i + 2], "src", 3)) {
			snprintf(where, sizeof(where), "ipset %s (%s chain %s)", tok[i + 1], label,
				 tok[1]);
			return ipset_bans(b, ipsets, tok[i + 1], where);
		}
		if (strcmp(tok[i], "-s") || prefix_parse(tok[i + 1], strlen(tok[i + 1]), &p, NULL))
			continue;
		c = cdn_overlap(b->cdn, &p);
		if (!c)
			return 0;
		snprintf(where, sizeof(where), "%s table filter chain %s", label, tok[1]);
		prefix_format(prefix_contains(c, &p) ? &p : c, addr, sizeof(addr));
		return ban_add(b, where, addr, true);
	}
	return 0;
}

int doctor_bans_ipt(const char *save, const char *ipsets, const char *label,
		    const struct prefix_set *cdn, const uint16_t *ports, size_t nports,
		    struct ban **out, size_t *n)
{
	struct banctx b = { .cdn = cdn, .ports = ports, .nports = nports, .out = out, .n = n };
	bool in_filter = false;
	int ret = 0;

	for (const char *s = save; ret == 0 && s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		size_t len = strcspn(s, "\n");
		char line[2048];

		if (*s == '*')
			in_filter = !strncmp(s, "*filter\n", 8);
		if (!in_filter || strncmp(s, "-A ", 3) || len >= sizeof(line))
			continue;
		memcpy(line, s, len);
		line[len] = '\0';
		if (!strstr(line, " -j DROP") && !strstr(line, " -j REJECT"))
			continue;
		ret = ipt_rule_bans(&b, save, ipsets, label, line);
	}
	return ret;
}
