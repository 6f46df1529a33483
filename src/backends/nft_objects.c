// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Creates, repairs and removes the nftables objects cdnallow owns (table inet
 * cdnallow, its sets and lockdown chain; sets cdnallow4/cdnallow6/cdnallow_ports
 * and the two rules commented "cdnallow" in the admin's table) through
 * libnftables, each call one transaction. This runs once per host or after a
 * wipe; set elements never go through here (nft_batch.c does them). It must
 * never name an object outside that list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "diag.h"
#include "fileio.h"
#include "nft_int.h"

/*
 * The generated config.h (HAVE_LIBNFTABLES) is shadowed by include/cdnallow/config.h;
 * CMake links libnftables exactly when its header is installed, so test for that.
 */
#if defined(__has_include)
#if __has_include(<nftables/libnftables.h>)
#define NFT_HAVE_LIBNFTABLES 1
#endif
#endif

#ifdef NFT_HAVE_LIBNFTABLES
#include <nftables/libnftables.h>

static int run(char *cmds, size_t len, const char *what, struct diag *d)
{
	struct nft_ctx *ctx;
	int ret = 0;

	if (!cmds)
		return -ENOMEM;
	if (len == 0)
		return 0;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, cmds) != 0) {
		const char *err = nft_ctx_get_error_buffer(ctx);
		size_t n = err ? strcspn(err, "\n") : 0;

		diag_err(d, "%s: %.*s", what, (int)n, n ? err : "nftables refused the change");
		ret = -EIO;
	}
	nft_ctx_free(ctx);
	return ret;
}
#else
static int run(char *cmds, size_t len, const char *what, struct diag *d)
{
	if (!cmds)
		return -ENOMEM;
	if (len == 0)
		return 0;
	diag_err(d, "%s: built without libnftables", what);
	return -ENOTSUP;
}
#endif

static const char *fam(const struct nft_target *t)
{
	return nft_family_name(t->family);
}

/* All of put()'s commands or none: libnftables runs one buffer as one transaction. */
static int run_script(struct nft_handle *h, int (*put)(struct nft_handle *, FILE *, struct diag *),
		      const char *what, struct diag *d)
{
	char *cmds = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&cmds, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = put(h, f, d);
	fclose(f);
	if (ret == 0)
		ret = run(cmds, len, what, d);
	free(cmds);
	return ret;
}

/* STATE_DIR/nft.created: "inet NAME", the table mode sets created, for flush to remove. */
static void created_path(const struct nft_handle *h, char *buf, size_t size)
{
	snprintf(buf, size, "%s/nft.created", h->cfg.state_dir ? h->cfg.state_dir : "");
}

static void created_note(const struct nft_handle *h, const struct nft_target *t)
{
	char path[4096], line[NFT_NAME_MAX + 8];
	int n = snprintf(line, sizeof(line), "%s %s\n", fam(t), t->table);

	created_path(h, path, sizeof(path));
	if (h->cfg.state_dir && n > 0 && (size_t)n < sizeof(line))
		(void)file_write_atomic(path, line, (size_t)n, 0600);
}

static int put_sets(struct nft_handle *h, FILE *f, struct diag *d)
{
	(void)d;
	for (size_t i = 0; i < h->ntg; i++) {
		const struct nft_target *t = &h->tg[i];

		if (t->own)
			fprintf(f, "add table inet %s\n", NFT_OWN_TABLE);
		if (t->sets_only && !t->has_table)
			fprintf(f, "add table %s %s\n", fam(t), t->table);
		if (t->has_table && t->has_sets && t->ports_ok)
			continue;
		fprintf(f, "add set %s %s %s { type ipv4_addr; flags interval; }\n", fam(t),
			t->table, t->set4);
		fprintf(f, "add set %s %s %s { type ipv6_addr; flags interval; }\n", fam(t),
			t->table, t->set6);
		fprintf(f, "add set %s %s %s { type inet_service; }\n", fam(t), t->table, t->ports);
		fprintf(f, "flush set %s %s %s\nadd element %s %s %s {", fam(t), t->table, t->ports,
			fam(t), t->table, t->ports);
		for (size_t j = 0; j < h->cfg.nports; j++)
			fprintf(f, "%s %u", j ? "," : "", h->cfg.ports[j]);
		fprintf(f, " }\n");
	}
	return 0;
}

int nft_objects_ensure_sets(struct nft_handle *h, struct diag *d)
{
	int ret = run_script(h, put_sets, "creating sets", d);

	for (size_t i = 0; ret == 0 && i < h->ntg; i++)
		if (h->tg[i].sets_only && !h->tg[i].has_table)
			created_note(h, &h->tg[i]);
	return ret;
}

/* Mode sets keeps no rule: delete ours wherever a switch from allow/lockdown left them. */
static int put_no_rules(struct nft_handle *h, FILE *f, const struct nft_target *t)
{
	struct nft_rule_list rl;
	int ret = nft_list_our_rules(&h->nl, t->family, t->table, NULL, &rl);

	for (size_t i = 0; ret == 0 && i < rl.n; i++) {
		if (!nft_name_valid(rl.v[i].chain))
			return -EINVAL;
		fprintf(f, "delete rule %s %s %s handle %llu\n", fam(t), t->table, rl.v[i].chain,
			(unsigned long long)rl.v[i].handle);
	}
	return ret;
}

void nft_objects_mark_new(struct nft_handle *h)
{
	for (size_t i = 0; i < h->ntg; i++) {
		struct nft_target *t = &h->tg[i];

		/* own table, or the one mode sets creates in the admin's name */
		t->made_table = (t->own || t->sets_only) && !t->has_table;
		t->made_sets = !t->has_table || !t->has_sets;
	}
}

/*
 * Nothing can reference the sets but rules of the transaction that failed, so
 * they go without touching a rule; a table this run added goes whole (its
 * chain with it), a table that was there stays.
 */
static int put_new(struct nft_handle *h, FILE *f, struct diag *d)
{
	(void)d;
	for (size_t i = 0; i < h->ntg; i++) {
		const struct nft_target *t = &h->tg[i];

		if (t->made_table)
			fprintf(f, "delete table %s %s\n", fam(t), t->table);
		else if (t->made_sets)
			fprintf(f,
				"delete set %s %s %s\ndelete set %s %s %s\ndelete set %s %s %s\n",
				fam(t), t->table, t->set4, fam(t), t->table, t->set6, fam(t),
				t->table, t->ports);
	}
	return 0;
}

int nft_objects_remove_new(struct nft_handle *h, struct diag *d)
{
	return run_script(h, put_new, "removing the objects this run created", d);
}

static void put_lockdown(FILE *f, const struct nft_target *t)
{
	const char *r = "add rule inet " NFT_OWN_TABLE " " NFT_OWN_CHAIN;

	if (t->has_chain)
		fprintf(f, "delete chain inet %s %s\n", NFT_OWN_TABLE, NFT_OWN_CHAIN);
	fprintf(f,
		"add chain inet %s %s { type filter hook prerouting priority -150; policy accept; "
		"}\n",
		NFT_OWN_TABLE, NFT_OWN_CHAIN);
	fprintf(f, "%s iif lo return comment \"%s\"\n", r, NFT_COMMENT);
	/* verdict-less counters: the CDN packets lockdown lets through, per family */
	fprintf(f,
		"%s meta nfproto ipv4 fib daddr type local tcp dport @%s ip saddr @%s counter "
		"comment \"%s\"\n",
		r, t->ports, t->set4, NFT_COMMENT);
	fprintf(f,
		"%s meta nfproto ipv6 fib daddr type local tcp dport @%s ip6 saddr @%s counter "
		"comment \"%s\"\n",
		r, t->ports, t->set6, NFT_COMMENT);
	fprintf(f,
		"%s meta nfproto ipv4 fib daddr type local tcp dport @%s ip saddr != @%s counter "
		"drop comment \"%s\"\n",
		r, t->ports, t->set4, NFT_COMMENT);
	fprintf(f,
		"%s meta nfproto ipv6 fib daddr type local tcp dport @%s ip6 saddr != @%s counter "
		"drop comment \"%s\"\n",
		r, t->ports, t->set6, NFT_COMMENT);
}

/* Inserted v6 first so that the v4 rule ends up on top; both above every admin rule. */
static void put_allow(FILE *f, const struct nft_target *t)
{
	for (size_t i = 0; i < t->nhandles; i++)
		fprintf(f, "delete rule %s %s %s handle %llu\n", fam(t), t->table, t->chain,
			(unsigned long long)t->handles[i]);
	fprintf(f,
		"insert rule %s %s %s tcp dport @%s ip6 saddr @%s counter accept comment \"%s\"\n",
		fam(t), t->table, t->chain, t->ports, t->set6, NFT_COMMENT);
	fprintf(f,
		"insert rule %s %s %s tcp dport @%s ip saddr @%s counter accept comment \"%s\"\n",
		fam(t), t->table, t->chain, t->ports, t->set4, NFT_COMMENT);
}

static int put_rules(struct nft_handle *h, FILE *f, struct diag *d)
{
	int ret = 0;

	for (size_t i = 0; i < h->ntg && ret == 0; i++) {
		const struct nft_target *t = &h->tg[i];

		if (t->sets_only && !t->rules_ok)
			ret = put_no_rules(h, f, t);
		else if (t->sets_only)
			continue;
		else if (t->own && t->lockdown && !t->rules_ok)
			put_lockdown(f, t);
		else if (t->own && t->stale_chain)
			fprintf(f, "delete chain inet %s %s\n", NFT_OWN_TABLE, NFT_OWN_CHAIN);
		else if (!t->own && !t->rules_ok)
			put_allow(f, t);
	}
	/* Switched from lockdown to allow in the admin's table: the old drop must go. */
	if (h->stale_own)
		fprintf(f, "delete table inet %s\n", NFT_OWN_TABLE);
	if (ret < 0)
		diag_err(d, "listing cdnallow's rules in the sets' table: %s", strerror(-ret));
	return ret;
}

int nft_objects_ensure_rules(struct nft_handle *h, struct diag *d)
{
	return run_script(h, put_rules, "creating rules", d);
}

struct set_scan {
	FILE *f;
	int err;
	bool unsafe;	     /* a set of ours in a table nft cannot name */
	const char *created; /* the table mode sets created, or NULL */
	size_t others;	     /* sets in it that are not ours */
};

static int set_scan_cb(const struct nlmsghdr *nlh, void *data)
{
	static const char *const ours[] = { "cdnallow4", "cdnallow6", "cdnallow_ports" };
	struct set_scan *ss = data;
	struct nftnl_set *s = nftnl_set_alloc();
	const char *table, *name;
	uint16_t family;

	if (!s || nftnl_set_nlmsg_parse(nlh, s) < 0) {
		if (s)
			nftnl_set_free(s);
		ss->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	family = (uint16_t)nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
	table = nftnl_set_get_str(s, NFTNL_SET_TABLE);
	name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	bool mine = false;

	for (size_t i = 0; table && name && i < sizeof(ours) / sizeof(ours[0]); i++)
		mine = mine || !strcmp(name, ours[i]);
	if (!mine && table && ss->created && family == NFPROTO_INET && !strcmp(table, ss->created))
		ss->others++;
	for (size_t i = 0; table && name && i < sizeof(ours) / sizeof(ours[0]); i++)
		if (!strcmp(name, ours[i]) &&
		    !(family == NFPROTO_INET && !strcmp(table, NFT_OWN_TABLE))) {
			if (!nft_name_valid(table)) {
				ss->unsafe = true;
				continue;
			}
			fprintf(ss->f, "delete set %s %s %s\n", nft_family_name(family), table,
				name);
		}
	if (s)
		nftnl_set_free(s);
	return MNL_CB_OK;
}

/* Our rules first (they reference the sets), then the sets, then our table: one transaction. */
static int scan_foreign(struct nft_handle *h, FILE *f, const char *created, size_t *others,
			struct diag *d)
{
	struct set_scan ss = { .f = f, .created = created };
	struct nft_rule_list rl;
	struct nlmsghdr *req;
	int ret;

	ret = nft_list_our_rules(&h->nl, NFPROTO_UNSPEC, NULL, NULL, &rl);
	for (size_t i = 0; ret == 0 && i < rl.n; i++) {
		const struct nft_rule_ref *r = &rl.v[i];

		if (r->family == NFPROTO_INET && !strcmp(r->table, NFT_OWN_TABLE))
			continue;
		if (!nft_name_valid(r->table) || !nft_name_valid(r->chain)) {
			ret = -EINVAL;
			break;
		}
		fprintf(f, "delete rule %s %s %s handle %llu\n", nft_family_name(r->family),
			r->table, r->chain, (unsigned long long)r->handle);
	}
	if (ret == 0) {
		req = nft_nl_request(&h->nl, NFT_MSG_GETSET, NFPROTO_UNSPEC, NLM_F_DUMP);
		ret = nft_nl_query(&h->nl, req, set_scan_cb, &ss);
		if (ret < 0 && ss.err)
			ret = ss.err;
		if (ret == -ENOENT)
			ret = 0;
		if (ret == 0 && ss.unsafe)
			ret = -EINVAL;
		*others = ss.others;
	}
	if (ret == -EINVAL)
		diag_err(d, "a rule or set named like cdnallow's sits in a table or chain whose "
			    "name is not an nft identifier; nothing was removed: delete it by hand "
			    "(nft -j list ruleset shows it), then run flush again");
	else if (ret < 0)
		diag_err(d, "looking for cdnallow's rules and sets: %s", strerror(-ret));
	return ret;
}

/* The table mode sets created, from STATE_DIR/nft.created; false when none is recorded. */
static bool created_table(const struct nft_handle *h, char name[NFT_NAME_MAX])
{
	char path[4096], fam_[8] = "", *text = NULL;
	size_t len = 0;
	bool ok;

	created_path(h, path, sizeof(path));
	if (!h->cfg.state_dir || file_read_private(path, 256, &text, &len) < 0)
		return false;
	ok = sscanf(text, "%7s %63s", fam_, name) == 2 && !strcmp(fam_, "inet") &&
	     nft_name_valid(name) && strcmp(name, NFT_OWN_TABLE);
	free(text);
	return ok;
}

/* Chains in the created table: the admin's, so the table stays. */
static int table_has_chains(struct nft_handle *h, const char *table, bool *any, struct diag *d)
{
	struct nft_chain_info *v = NULL;
	size_t n = 0;
	int ret = nft_list_chains(&h->nl, &v, &n, d);

	*any = false;
	for (size_t i = 0; ret == 0 && i < n; i++)
		*any = *any || (v[i].family == NFPROTO_INET && !strcmp(v[i].table, table));
	free(v);
	return ret;
}

static int put_flush(struct nft_handle *h, FILE *f, struct diag *d)
{
	char created[NFT_NAME_MAX] = "";
	bool own = false, exists = false, chains = true, have_created = created_table(h, created);
	size_t others = 0;
	int ret;

	ret = h->cfg.lockdown_only ? 0
				   : scan_foreign(h, f, have_created ? created : NULL, &others, d);
	if (ret == 0)
		ret = nft_table_exists(&h->nl, NFPROTO_INET, NFT_OWN_TABLE, &own);
	if (ret == 0 && own)
		fprintf(f, "delete table inet %s\n", NFT_OWN_TABLE);
	if (ret == 0 && have_created && !h->cfg.lockdown_only)
		ret = nft_table_exists(&h->nl, NFPROTO_INET, created, &exists);
	if (ret == 0 && exists)
		ret = table_has_chains(h, created, &chains, d);
	if (ret == 0 && exists && !chains && others == 0)
		fprintf(f, "delete table inet %s\n", created);
	return ret;
}

int nft_objects_flush(struct nft_handle *h, struct diag *d)
{
	char path[4096], created[NFT_NAME_MAX];
	int ret = run_script(h, put_flush, "removing cdnallow's objects", d);

	if (ret == 0 && !h->cfg.lockdown_only && created_table(h, created)) {
		created_path(h, path, sizeof(path));
		(void)unlink(path);
	}
	return ret;
}
