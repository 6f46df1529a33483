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
#include <net/if.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "build_config.h"
#include "diag.h"
#include "doctor.h"
#include "prefix_set.h"
#include "read.h"
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
	char iif[16];	     /* the one interface besides lo the CDN can arrive on, or "" */
	const char *manager; /* "ufw", "firewalld" or "": who writes the iptables rules */
};

static bool any_has(const struct rulesets *rs, const char *what)
{
	const char *t[] = { rs->nft_text, rs->xt[0], rs->xt[1], rs->legacy[0], rs->legacy[1] };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i] && strstr(t[i], what))
			return true;
	}
	return false;
}

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

char *doctor_read_nft(bool json)
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
char *doctor_read_save(const char *prog)
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

/* The host's one non-loopback interface: then every CDN packet arrives on it. */
static void uplink(char iif[16])
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int n = 0;

	iif[0] = '\0';
	for (i = ifs; i && i->if_index; i++) {
		if (strcmp(i->if_name, "lo") && n++ == 0)
			snprintf(iif, 16, "%s", i->if_name);
	}
	if (n != 1)
		iif[0] = '\0';
	if (ifs)
		if_freenameindex(ifs);
}

static void rulesets_load(struct rulesets *rs)
{
	uplink(rs->iif);
	rs->nft_json = doctor_read_nft(true);
	rs->nft_text = rs->nft_json ? doctor_read_nft(false) : NULL;
	rs->ipsets = ipset_save_all();
	rs->legacy[0] = doctor_read_save("iptables-legacy-save");
	rs->legacy[1] = doctor_read_save("ip6tables-legacy-save");
	rs->xt[0] = doctor_read_save("iptables-nft-save");
	rs->xt[1] = doctor_read_save("ip6tables-nft-save");
	rs->manager = any_has(rs, "ufw-user-input") ? "ufw"
		      : any_has(rs, "table inet firewalld") || any_has(rs, ":INPUT_ZONES ")
			      ? "firewalld"
			      : "";
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

static const char *fix_for(const char *where, const char *because, const char *manager)
{
	bool ipt = strstr(where, "tables-") || strstr(where, "table ip filter") ||
		   strstr(where, "table ip6 filter");

	if (strstr(because, "ufw-user-input") || strstr(because, "ufw6-user-input"))
		return "an admin's ufw rule drops it before cdnallow's rules: find it with `ufw "
		       "status numbered` and delete it or move it below them";
	if (strstr(where, "f2b-table") || strstr(where, "crowdsec") || strstr(where, "f2b-"))
		return "a ban list drops it: unban the CDN addresses and whitelist the CDN "
		       "ranges (fail2ban ignoreip, a CrowdSec whitelist)";
	if (strstr(where, "table inet cdnallow"))
		return "cdnallow's lockdown table lacks this range: run cdnallow --mode lockdown "
		       "sync";
	if (strstr(because, "ufw") || strstr(where, "ufw") || (ipt && !strcmp(manager, "ufw")))
		return "ufw drops it: run cdnallow -b ufw sync (ufw is this host's firewall)";
	if (strstr(where, "firewalld") || (ipt && !strcmp(manager, "firewalld")))
		return "firewalld drops it: run cdnallow -b firewalld sync";
	if (strstr(where, "tables-legacy"))
		return "iptables-legacy drops it: run cdnallow -b iptables sync (it detects "
		       "legacy)";
	if (strstr(where, "tables-nft") || strstr(where, "table ip filter") ||
	    strstr(where, "table ip6 filter"))
		return "iptables (nf_tables) drops it: run cdnallow -b iptables sync";
	return "allow the CDN inside this table: cdnallow sync with [nftables] table = FAMILY "
	       "NAME and chain = CHAIN set to it (an accept in another table never overrides "
	       "this drop)";
}

static void probe_from(const struct prefix *p, uint16_t port, const char *iif, struct probe *pr)
{
	memset(pr, 0, sizeof(*pr));
	pr->family = p->family;
	prefix_first_bytes(p, pr->saddr);
	pr->dport = port;
	snprintf(pr->iif, sizeof(pr->iif), "%s", iif);
}

#define MAX_PORTS 16

/* One cause of drops: a place and a reason, with every family and port it hits. */
struct cause {
	char where[160], because[512], example[PREFIX_STRLEN];
	bool uncertain, fam[2];
	uint16_t ports[MAX_PORTS];
	size_t nports;
};

/* The place without its iptables flavour: "ip6tables-nft …", "ip(6)tables-nft …" -> "nft …". */
static const char *place(const char *w, bool *ipt)
{
	static const char *const pre[] = { "ip(6)tables-", "ip6tables-", "iptables-" };

	for (size_t i = 0; i < 3; i++) {
		if (!strncmp(w, pre[i], strlen(pre[i]))) {
			*ipt = true;
			return w + strlen(pre[i]);
		}
	}
	*ipt = false;
	return w;
}

/* "ip6tables-legacy …" and "iptables-legacy …" are one place for both families. */
static bool same_place(const char *a, const char *b)
{
	bool ia, ib;
	const char *ra = place(a, &ia), *rb = place(b, &ib);

	return ia == ib && !strcmp(ra, rb);
}

static int cause_add(struct cause **v, size_t *n, const struct chain_verdict *cv,
		     const struct prefix *src, uint16_t port)
{
	struct cause *c = NULL, *nv;
	bool ipt;
	size_t i;

	for (i = 0; i < *n && !c; i++) {
		if (same_place((*v)[i].where, cv->where) && !strcmp((*v)[i].because, cv->because))
			c = &(*v)[i];
	}
	if (!c) {
		nv = realloc(*v, (*n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		c = &nv[(*n)++];
		memset(c, 0, sizeof(*c));
		snprintf(c->where, sizeof(c->where), "%s", cv->where);
		snprintf(c->because, sizeof(c->because), "%s", cv->because);
		prefix_format(src, c->example, sizeof(c->example));
	} else if (strcmp(c->where, cv->where) && place(c->where, &ipt) != c->where) {
		char w[sizeof(c->where)];

		/* both families: name the place once for both */
		snprintf(w, sizeof(w), "ip(6)tables-%.*s",
			 (int)(sizeof(w) - sizeof("ip(6)tables-")), place(c->where, &ipt));
		snprintf(c->where, sizeof(c->where), "%s", w);
	}
	c->uncertain |= cv->uncertain;
	c->fam[src->family == AF_INET6] = true;
	for (i = 0; i < c->nports && c->ports[i] != port; i++)
		;
	if (i == c->nports && c->nports < MAX_PORTS)
		c->ports[c->nports++] = port;
	return 0;
}

static void cause_report(const struct cause *c, const char *manager, struct findings *f)
{
	char ports[MAX_PORTS * 12] = "";
	size_t off = 0;

	for (size_t i = 0; i < c->nports; i++)
		off += (size_t)snprintf(ports + off, sizeof(ports) - off, "%stcp/%u", i ? ", " : "",
					c->ports[i]);
	findings_add(f, "firewall", c->uncertain ? SEV_WARNING : SEV_ERROR,
		     fix_for(c->where, c->because, manager),
		     "%s %s %s from the CDN (%s, e.g. %s): %s", c->where,
		     c->uncertain ? "may drop" : "drops", ports,
		     c->fam[0] && c->fam[1] ? "IPv4 and IPv6"
		     : c->fam[0]	    ? "IPv4"
					    : "IPv6",
		     c->example, c->because);
}

/* The prefixes to probe: first, middle and last of each family (partial allowlists show). */
static size_t pick_samples(const struct prefix_set *cdn, int family, size_t idx[SAMPLES])
{
	size_t nfam = 0, k = 0, seen = 0;

	for (size_t i = 0; i < cdn->n; i++)
		nfam += cdn->v[i].family == family;
	for (size_t i = 0; i < cdn->n && k < SAMPLES; i++) {
		if (cdn->v[i].family != family)
			continue;
		seen++;
		if (seen == 1 || (seen == nfam / 2 + 1 && nfam > 2) || (seen == nfam && nfam > 1))
			idx[k++] = i;
	}
	return k;
}

static int check_cdn(const struct doctor_ctx *c, const struct rulesets *rs, struct findings *f,
		     struct diag *d)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct cause *causes = NULL;
	size_t ncauses = 0, idx[SAMPLES];
	int ret = 0;

	for (size_t fi = 0; fi < 2 && ret == 0; fi++) {
		size_t k = pick_samples(c->cdn, fams[fi], idx);

		for (size_t s = 0; s < k && ret == 0; s++) {
			for (size_t pi = 0; pi < c->nports && ret == 0; pi++) {
				const struct prefix *src = &c->cdn->v[idx[s]];
				struct chain_verdict *v = NULL;
				struct probe pr;
				size_t n = 0;

				probe_from(src, c->ports[pi], rs->iif, &pr);
				ret = evaluate(rs, &pr, &v, &n, d);
				for (size_t i = 0; ret == 0 && i < n; i++) {
					if (v[i].verdict == VERDICT_DROP)
						ret = cause_add(&causes, &ncauses, &v[i], src,
								c->ports[pi]);
				}
				free(v);
			}
		}
	}
	for (size_t i = 0; ret == 0 && i < ncauses; i++)
		cause_report(&causes[i], rs->manager, f);
	free(causes);
	return ret;
}

/* An address outside the CDN ranges: does the port accept everybody? */
static int check_open_to_all(const struct doctor_ctx *c, const struct rulesets *rs,
			     struct findings *f, struct diag *d)
{
	static const char *const outsiders[] = { "198.51.100.77/32", "192.0.2.77/32",
						 "203.0.113.77/32", "100.100.100.100/32" };
	char ports[MAX_PORTS * 12] = "";
	struct prefix out;
	size_t i, off = 0;
	int ret = 0;

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

		probe_from(&out, c->ports[pi], rs->iif, &pr);
		ret = evaluate(rs, &pr, &v, &n, d);
		for (size_t j = 0; ret == 0 && j < n; j++) {
			dropped |= v[j].verdict == VERDICT_DROP;
			uncertain |= v[j].uncertain;
		}
		free(v);
		if (ret < 0 || dropped || uncertain)
			continue;
		/* one finding for every open port: one cause */
		off += (size_t)snprintf(ports + off, sizeof(ports) - off, "%stcp/%u",
					off ? ", " : "", c->ports[pi]);
		if (off >= sizeof(ports))
			off = sizeof(ports) - 1;
	}
	if (ret < 0 || !off)
		return ret;
	if (c->lockdown)
		findings_add(f, "firewall", SEV_ERROR,
			     "run cdnallow --mode lockdown sync; check nothing deletes table "
			     "inet cdnallow",
			     "lockdown is configured but %s accept(s) connections from everyone "
			     "(probed with %s)",
			     ports, outsiders[i]);
	else
		findings_add(f, "firewall", SEV_WARNING,
			     "use --mode lockdown (mode = lockdown) to close the ports to non-CDN "
			     "sources, or give the firewall a drop policy",
			     "%s accept(s) connections from everyone: the allowlist changes "
			     "nothing and the origin is reachable around the CDN",
			     ports);
	return ret;
}

static const char *ban_fix(const struct ban *b)
{
	if (strstr(b->where, "f2b"))
		return "unban them (fail2ban-client unban ADDRESS) and add the CDN ranges to "
		       "ignoreip in /etc/fail2ban/jail.local, so fail2ban never bans a CDN node "
		       "again (better: make the web server log the visitor's address from the "
		       "CDN's header)";
	if (strstr(b->where, "crowdsec"))
		return "unban them (cscli decisions delete --ip ADDRESS) and whitelist the CDN "
		       "ranges in CrowdSec (a whitelist parser listing them, or "
		       "crowdsecurity/cdn-whitelist), so it never bans a CDN node again";
	if (b->rule_level)
		return "delete the rule or exclude the CDN ranges from it";
	if (!strncmp(b->where, "ipset ", 6))
		return "remove them (ipset del SET ADDRESS) and find what adds them";
	return "remove them (nft delete element FAMILY TABLE SET { ADDRESS }) and find what "
	       "adds them";
}

/* Check 3b: ban lists holding CDN addresses (probing samples cannot find one banned node). */
static int check_bans(const struct doctor_ctx *c, const struct rulesets *rs, struct findings *f,
		      struct diag *d)
{
	static const char *const label[] = { "iptables-nft", "ip6tables-nft", "iptables-legacy",
					     "ip6tables-legacy" };
	const char *save[] = { rs->xt[0], rs->xt[1], rs->legacy[0], rs->legacy[1] };
	struct ban *b = NULL;
	size_t n = 0;
	int ret = 0;

	if (rs->nft_json)
		ret = doctor_bans_nft(rs->nft_json, strlen(rs->nft_json), rs->xt[0] || rs->xt[1],
				      c->cdn, c->ports, c->nports, &b, &n, d);
	for (size_t i = 0; ret == 0 && i < 4; i++) {
		if (save[i])
			ret = doctor_bans_ipt(save[i], rs->ipsets, label[i], c->cdn, c->ports,
					      c->nports, &b, &n);
	}
	for (size_t i = 0; ret == 0 && i < n; i++)
		findings_add(f, "firewall", SEV_ERROR, ban_fix(&b[i]),
			     "%s bans %zu CDN address(es) on the web ports: %s; the CDN nodes "
			     "using them cannot connect (error 521/522 for their visitors)",
			     b[i].where, b[i].count, b[i].addrs);
	free(b);
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
	ret = check_cdn(c, &rs, f, d);
	if (ret == 0)
		ret = check_bans(c, &rs, f, d);
	if (ret == 0)
		ret = check_open_to_all(c, &rs, f, d);
	rulesets_release(&rs);
	return ret;
}
