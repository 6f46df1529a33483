// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where allow mode puts its accept rule (docs/architecture.md §4): the admin's
 * configured [nftables] table/chain, checked to exist before anything is
 * created, or the one native input chain whose path ends in a drop for the web
 * ports — by its policy, by a final rule (`counter drop`) or by a jump/goto into
 * a chain that drops. The rule goes on top of that chain, before the drop. What
 * cannot be decided is said, never guessed. Read-only: it changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>

#include "build_config.h"
#include "diag.h"
#include "doctor.h"
#include "nft_int.h"

#if HAVE_LIBNFTABLES
#include <nftables/libnftables.h>
#endif

void nft_target_admin(struct nft_target *t, const char *table, const char *chain)
{
	memset(t, 0, sizeof(*t));
	t->family = NFPROTO_INET;
	snprintf(t->table, sizeof(t->table), "%s", table);
	snprintf(t->chain, sizeof(t->chain), "%s", chain);
	t->set4 = "cdnallow4";
	t->set6 = "cdnallow6";
	t->ports = "cdnallow_ports";
}

bool nft_is_input_drop(const struct nft_chain_info *c)
{
	return c->base && c->hooknum == NF_INET_LOCAL_IN && c->policy == NF_DROP &&
	       (c->family == NFPROTO_INET || c->family == NFPROTO_IPV4 ||
		c->family == NFPROTO_IPV6);
}

static bool is_input_base(const struct nft_chain_info *c)
{
	return c->base && c->hooknum == NF_INET_LOCAL_IN &&
	       (c->family == NFPROTO_INET || c->family == NFPROTO_IPV4 ||
		c->family == NFPROTO_IPV6);
}

/* The base input chains of the configured table, "input, filter_in" for the hint. */
static void chains_of_table(const struct nft_chain_info *v, size_t n, const char *table, char *out,
			    size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		if (v[i].family == NFPROTO_INET && !strcmp(v[i].table, table) &&
		    is_input_base(&v[i]))
			len += (size_t)snprintf(out + len, size - len, "%s'%s'", len ? ", " : "",
						v[i].name);
}

/* The configured table and chain must exist before sync creates anything in them. */
static int check_configured(struct nft_handle *h, const char *table, const char *chain,
			    struct diag *d)
{
	struct nft_chain_info *v = NULL;
	bool has_table = false, has_chain = false;
	char hint[256];
	size_t n = 0;
	int ret = nft_list_chains(&h->nl, &v, &n, d);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++) {
		if (v[i].family != NFPROTO_INET || strcmp(v[i].table, table))
			continue;
		has_table = true;
		has_chain = has_chain || !strcmp(v[i].name, chain);
	}
	ret = nft_table_exists(&h->nl, NFPROTO_INET, table, &has_table);
	if (ret == 0 && !has_table) {
		diag_err(d, "[nftables] table 'inet %s' does not exist", table);
		ret = -ENOENT;
	} else if (ret == 0 && !has_chain) {
		chains_of_table(v, n, table, hint, sizeof(hint));
		diag_err(d, "[nftables] chain '%s' does not exist in table inet %s%s%s%s", chain,
			 table, hint[0] ? " (its input chains: " : "", hint, hint[0] ? ")" : "");
		ret = -ENOENT;
	}
	free(v);
	return ret;
}

int nft_configured_target(struct nft_handle *h, struct nft_target *t, struct diag *d)
{
	char fam[16] = "", name[NFT_NAME_MAX] = "", extra[2] = "";
	const char *chain = h->cfg.nft_chain ? h->cfg.nft_chain : "input";
	int n = sscanf(h->cfg.nft_table, "%15s %63s %1s", fam, name, extra);
	int ret;

	if (n == 1) {
		snprintf(name, sizeof(name), "%s", fam);
		snprintf(fam, sizeof(fam), "inet");
	}
	if (n < 1 || n > 2 || !nft_name_valid(name) || !nft_name_valid(chain)) {
		diag_err(
			d,
			"[nftables] table '%s' / chain '%s': expected 'inet NAME' and a chain name",
			h->cfg.nft_table, chain);
		return -EINVAL;
	}
	if (strcmp(fam, "inet")) {
		diag_err(d,
			 "[nftables] table '%s': only an inet table can hold both the IPv4 and "
			 "IPv6 rules; use an inet table",
			 h->cfg.nft_table);
		return -ENOTSUP;
	}
	if (h->cfg.mode == MODE_SETS) {
		/* no rule goes anywhere; sync creates the table when it is missing */
		nft_target_admin(t, name, "");
		t->sets_only = true;
		return 0;
	}
	/* flush must reach leftovers even when the admin removed the chain since */
	ret = h->cfg.removing ? 0 : check_configured(h, name, chain, d);
	if (ret == 0)
		nft_target_admin(t, name, chain);
	return ret;
}

/* The backend that manages a foreign owner's rules (Docker sits on iptables). */
static const char *backend_for(const char *owner)
{
	return strcmp(owner, "ufw") && strcmp(owner, "firewalld") ? "iptables" : owner;
}

/*
 * The ruleset as JSON, set contents included (a verdict map or a set decides
 * by its elements). Only read before cdnallow's rule is in place, so its own
 * sets are not in it yet.
 */
static char *ruleset_json(void)
{
	char *out = NULL;
#if HAVE_LIBNFTABLES
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!ctx)
		return NULL;
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, "list ruleset") == 0)
		out = strdup(nft_ctx_get_output_buffer(ctx));
	nft_ctx_free(ctx);
#endif
	return out;
}

/* How a native input chain ends for a new connection to the web ports. */
struct chain_end {
	bool drops;	   /* by a rule or a jump, for some port and family */
	bool uncertain;	   /* a rule the evaluator cannot decide comes first */
	char because[512]; /* the rule that drops, or the one that cannot be decided */
};

static int judge_probe(const char *json, const struct probe *p, const struct nft_chain_info *v,
		       size_t n, struct chain_end *end)
{
	struct chain_verdict *cv = NULL;
	size_t ncv = 0;
	struct diag d;
	char where[200];
	int ret;

	diag_init(&d);
	ret = nft_eval_ruleset(json, strlen(json), NULL, p, &cv, &ncv, &d);
	diag_release(&d);
	for (size_t i = 0; ret >= 0 && i < n; i++) {
		snprintf(where, sizeof(where), "table %s %s chain %s (hook input,",
			 nft_family_name(v[i].family), v[i].table, v[i].name);
		for (size_t j = 0; j < ncv; j++) {
			if (strncmp(cv[j].where, where, strlen(where)))
				continue;
			if (cv[j].uncertain && !end[i].uncertain && !end[i].drops)
				snprintf(end[i].because, sizeof(end[i].because), "%s",
					 cv[j].because);
			end[i].uncertain = end[i].uncertain || cv[j].uncertain;
			if (cv[j].verdict == VERDICT_DROP && !cv[j].uncertain && !end[i].drops)
				snprintf(end[i].because, sizeof(end[i].because), "%s",
					 cv[j].because);
			end[i].drops =
				end[i].drops || (cv[j].verdict == VERDICT_DROP && !cv[j].uncertain);
		}
	}
	free(cv);
	return ret < 0 ? ret : 0;
}

/*
 * Judges the native input chains whose policy accepts: probes from a
 * documentation address (in no CDN list, in no admin rule) to every web port.
 */
static void judge_chains(struct nft_handle *h, const struct nft_chain_info *v, size_t n,
			 struct chain_end *end)
{
	static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	char *json = NULL;
	bool need = false;

	/* our accept already sits in a chain that dropped: stay there, no dump of our sets */
	for (size_t i = 0; i < n; i++) {
		struct nft_rule_list ours = { 0 };

		if (!is_input_base(&v[i]) || nft_is_input_drop(&v[i]) || nft_chain_owner(&v[i]) ||
		    v[i].family != NFPROTO_INET ||
		    nft_list_our_rules(&h->nl, v[i].family, v[i].table, v[i].name, &ours) < 0 ||
		    ours.n == 0)
			continue;
		end[i].drops = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		need = need || (is_input_base(&v[i]) && !nft_is_input_drop(&v[i]) &&
				!nft_chain_owner(&v[i]));
	if (need)
		json = ruleset_json();
	for (size_t pi = 0; json && pi < h->cfg.nports; pi++) {
		struct probe p = { .family = AF_INET, .saddr = { 192, 0, 2, 1 } };

		p.dport = h->cfg.ports[pi];
		if (judge_probe(json, &p, v, n, end) < 0)
			break;
		p.family = AF_INET6;
		memcpy(p.saddr, src6, sizeof(src6));
		if (judge_probe(json, &p, v, n, end) < 0)
			break;
	}
	free(json);
}

/* The admin's native chain where a CDN packet to a web port meets a drop. */
static bool is_admin_drop(const struct nft_chain_info *c, const struct chain_end *e)
{
	return !nft_chain_owner(c) && (nft_is_input_drop(c) || (is_input_base(c) && e->drops));
}

/* Several drop chains: stay where the allowlist already is (doctor names the new drop). */
static struct nft_chain_info *where_ours(struct nft_handle *h, struct nft_chain_info *v, size_t n,
					 const struct chain_end *end)
{
	for (size_t i = 0; i < n; i++) {
		struct nft_rule_list ours = { 0 };

		if (!is_admin_drop(&v[i], &end[i]) || v[i].family != NFPROTO_INET ||
		    nft_list_our_rules(&h->nl, v[i].family, v[i].table, v[i].name, &ours) < 0 ||
		    ours.n == 0)
			continue;
		return &v[i];
	}
	return NULL;
}

static void say_found(struct nft_handle *h, const struct nft_chain_info *hit,
		      const struct chain_end *e, struct diag *d)
{
	/* said once, by the sync that chose the table; later runs find their rule there */
	struct nft_rule_list ours = { 0 };

	if (nft_list_our_rules(&h->nl, hit->family, hit->table, hit->name, &ours) == 0 && ours.n)
		return;
	if (nft_is_input_drop(hit))
		diag_warn(d,
			  "nftables: allowing the CDN in table inet %s chain %s, whose policy is "
			  "drop; set [nftables] table/chain to make this explicit",
			  hit->table, hit->name);
	else
		diag_warn(d,
			  "nftables: allowing the CDN in table inet %s chain %s, which drops the "
			  "web ports (%s); set [nftables] table/chain to make this explicit",
			  hit->table, hit->name, e->because);
}

/* Nothing drops for sure: say why allow mode changes nothing, or what cannot be told. */
static void say_none(struct nft_handle *h, const struct nft_chain_info *v, size_t n,
		     const struct chain_end *end, const struct nft_chain_info *foreign,
		     struct diag *d)
{
	for (size_t i = 0; i < n; i++) {
		if (!end[i].uncertain || nft_chain_owner(&v[i]))
			continue;
		diag_warn(d,
			  "nftables: cannot tell whether table %s %s chain %s drops the web ports "
			  "(%s); if it does, set [nftables] table/chain to the chain cdnallow must "
			  "allow the CDN in",
			  nft_family_name(v[i].family), v[i].table, v[i].name, end[i].because);
		return;
	}
	if (h->cfg.mode != MODE_ALLOW)
		return;
	if (foreign)
		diag_warn(d,
			  "nftables: table %s %s chain %s (%s) drops by default and an accept in "
			  "nftables cannot override it: use the %s backend for allow mode",
			  nft_family_name(foreign->family), foreign->table, foreign->name,
			  nft_chain_owner(foreign), backend_for(nft_chain_owner(foreign)));
	else
		diag_warn(d, "nftables: no input chain drops the web ports, so they are open to "
			     "everyone and allow mode changes nothing (lockdown would close them)");
}

static void list_hits(struct nft_handle *h, const struct nft_chain_info *v, size_t n,
		      const struct chain_end *end, size_t *nhit, const struct nft_chain_info **hit)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (!is_admin_drop(&v[i], &end[i]))
			continue;
		(*nhit)++;
		*hit = &v[i];
		len += (size_t)snprintf(h->ambiguous + len,
					len < sizeof(h->ambiguous) ? sizeof(h->ambiguous) - len : 0,
					"%s'table %s %s chain %s'", *nhit > 1 ? ", " : "",
					nft_family_name(v[i].family), v[i].table, v[i].name);
	}
}

/* No [nftables] table: find the admin's own input chain that drops the web ports. */
int nft_discover_target(struct nft_handle *h, struct nft_target *t, bool *found, struct diag *d)
{
	struct nft_chain_info *v = NULL, *foreign = NULL, *ours;
	const struct nft_chain_info *hit = NULL;
	struct chain_end *end = NULL;
	size_t n = 0, nhit = 0;
	int ret = nft_list_chains(&h->nl, &v, &n, d);

	*found = false;
	if (ret < 0)
		return ret;
	end = calloc(n ? n : 1, sizeof(*end));
	if (!end) {
		free(v);
		return -ENOMEM;
	}
	judge_chains(h, v, n, end);
	for (size_t i = 0; i < n && !foreign; i++)
		if (nft_is_input_drop(&v[i]) && nft_chain_owner(&v[i]))
			foreign = &v[i];
	list_hits(h, v, n, end, &nhit, &hit);
	ours = nhit > 1 ? where_ours(h, v, n, end) : NULL;
	if (ours) {
		hit = ours;
		nhit = 1;
	}
	if (nhit == 1 && hit->family == NFPROTO_INET && nft_name_valid(hit->table) &&
	    nft_name_valid(hit->name)) {
		nft_target_admin(t, hit->table, hit->name);
		*found = true;
		say_found(h, hit, &end[hit - v], d);
		h->ambiguous[0] = '\0';
	} else if (nhit == 1) {
		diag_warn(d,
			  "nftables: %s drops the web ports but is not an inet table; cdnallow "
			  "cannot allow the CDN there (set [nftables] table to an inet table)",
			  h->ambiguous);
		h->ambiguous[0] = '\0';
	} else if (nhit > 1) {
		char list[sizeof(h->ambiguous)];

		snprintf(list, sizeof(list), "%s", h->ambiguous);
		snprintf(h->ambiguous, sizeof(h->ambiguous),
			 "several input chains drop the web ports (%.380s): set [nftables] table "
			 "and chain to the one cdnallow must allow the CDN in",
			 list);
	} else {
		say_none(h, v, n, end, foreign, d);
	}
	free(end);
	free(v);
	return 0;
}
