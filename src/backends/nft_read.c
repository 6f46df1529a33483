// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads back what the nftables backend installed: the elements of its interval
 * sets (turned back into CIDRs), the port set, its chain and its rules, found by
 * name or by the rule comment "cdnallow". Read-only, and it dumps only
 * cdnallow's own sets: never the whole ruleset's elements.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "diag.h"
#include "nft_int.h"
#include "prefix_set.h"

/* One interval boundary as dumped: start, or end (last + 1) of a range. */
struct bound {
	uint8_t key[16];
	uint8_t end;
};

struct elem_dump {
	struct bound *v;
	size_t n, cap;
	size_t keylen;
	int err;
};

static int push_bound(struct elem_dump *ed, const void *key, size_t len, bool end)
{
	if (len != ed->keylen)
		return -EBADMSG;
	if (ed->n == ed->cap) {
		size_t cap = ed->cap ? 2 * ed->cap : 1024;
		struct bound *v = realloc(ed->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ed->v = v;
		ed->cap = cap;
	}
	memset(ed->v[ed->n].key, 0, sizeof(ed->v[ed->n].key));
	memcpy(ed->v[ed->n].key, key, len);
	ed->v[ed->n].end = end;
	ed->n++;
	return 0;
}

/* Parses one NFTA_LIST_ELEM nest without allocating an nftnl_set_elem per element. */
static int parse_elem(const struct nlattr *elem, struct elem_dump *ed)
{
	const struct nlattr *a, *key = NULL;
	uint32_t flags = 0;

	mnl_attr_for_each_nested (a, elem) {
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_KEY)
			key = a;
		else if (mnl_attr_get_type(a) == NFTA_SET_ELEM_FLAGS &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			flags = ntohl(mnl_attr_get_u32(a));
	}
	if (!key)
		return 0;
	mnl_attr_for_each_nested (a, key) {
		if (mnl_attr_get_type(a) == NFTA_DATA_VALUE)
			return push_bound(ed, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a),
					  flags & NFT_SET_ELEM_INTERVAL_END);
	}
	return 0;
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elem_dump *ed = data;
	const struct nlattr *a, *e;

	mnl_attr_for_each (a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested (e, a) {
			ed->err = parse_elem(e, ed);
			if (ed->err < 0)
				return MNL_CB_ERROR;
		}
	}
	return MNL_CB_OK;
}

static int bound_cmp(const void *a, const void *b)
{
	const struct bound *x = a, *y = b;
	int c = memcmp(x->key, y->key, sizeof(x->key));

	/* Adjacent intervals share a key: the end of one sorts before the start of the next. */
	if (c)
		return c;
	return (int)y->end - (int)x->end;
}

/*
 * Pairs the sorted boundaries into ranges. An end without a start is skipped:
 * `nft` adds one at address 0 to every interval set it writes.
 */
static int bounds_to_set(struct elem_dump *ed, int af, struct prefix_set *s)
{
	const uint8_t *open = NULL;
	int ret = 0;

	if (ed->n) /* qsort(NULL, 0) is undefined */
		qsort(ed->v, ed->n, sizeof(*ed->v), bound_cmp);
	for (size_t i = 0; i < ed->n && ret == 0; i++) {
		if (ed->v[i].end && open) {
			ret = prefix_set_add_range(s, af, open, ed->v[i].key);
			open = NULL;
		} else if (!ed->v[i].end) {
			if (open)
				ret = prefix_set_add_range(s, af, open, ed->v[i].key);
			open = ed->v[i].key;
		}
	}
	if (ret == 0 && open)
		ret = prefix_set_add_range(s, af, open, NULL);
	return ret;
}

int nft_parse_elem_dump(const void *buf, size_t len, int af, struct prefix_set *s)
{
	struct elem_dump ed = { .keylen = af == AF_INET ? 4 : 16 };
	int ret;

	if (!nft_nl_buf_valid(buf, len))
		return -EBADMSG;
	ret = mnl_cb_run(buf, len, 0, 0, elem_cb, &ed);
	ret = ret < 0 ? (ed.err ? ed.err : -EBADMSG) : 0;
	if (ret == 0)
		ret = bounds_to_set(&ed, af, s);
	free(ed.v);
	return ret;
}

static int dump_set(struct nft_nl *nl, const struct nft_target *t, const char *set, int af,
		    struct prefix_set *s, struct diag *d)
{
	struct nlmsghdr *req = nft_nl_request(nl, NFT_MSG_GETSETELEM, t->family, NLM_F_DUMP);
	struct elem_dump ed = { .keylen = af == AF_INET ? 4 : 16 };
	int ret;

	mnl_attr_put_strz(req, NFTA_SET_ELEM_LIST_TABLE, t->table);
	mnl_attr_put_strz(req, NFTA_SET_ELEM_LIST_SET, set);
	ret = nft_nl_query(nl, req, elem_cb, &ed);
	if (ret < 0 && ed.err)
		ret = ed.err;
	if (ret == -ENOENT) {
		ret = 0;
		goto out;
	}
	if (ret == 0)
		ret = bounds_to_set(&ed, af, s);
	if (ret < 0)
		diag_err(d, "reading set %s in table %s %s: %s", set, nft_family_name(t->family),
			 t->table, strerror(-ret));
out:
	free(ed.v);
	return ret;
}

int nft_read_elems(struct nft_nl *nl, const struct nft_target *t, struct prefix_set *s,
		   struct diag *d)
{
	int ret = 0;

	if (t->set4)
		ret = dump_set(nl, t, t->set4, AF_INET, s, d);
	if (ret == 0 && t->set6)
		ret = dump_set(nl, t, t->set6, AF_INET6, s, d);
	if (ret == 0)
		ret = prefix_set_aggregate(s);
	return ret;
}

struct port_dump {
	uint16_t seen[BACKEND_MAX_PORTS + 1];
	size_t n;
	bool extra;
};

static int port_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct port_dump *pd = data;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;

	if (!s || nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		if (s)
			nftnl_set_free(s);
		return MNL_CB_ERROR;
	}
	it = nftnl_set_elems_iter_create(s);
	for (e = it ? nftnl_set_elems_iter_next(it) : NULL; e; e = nftnl_set_elems_iter_next(it)) {
		uint32_t len = 0;
		const uint16_t *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);

		if (k && len == 2 && pd->n < BACKEND_MAX_PORTS)
			pd->seen[pd->n++] = ntohs(*k);
		else
			pd->extra = true;
	}
	nftnl_set_elems_iter_destroy(it);
	if (s)
		nftnl_set_free(s);
	return MNL_CB_OK;
}

int nft_read_ports(struct nft_nl *nl, const struct nft_target *t, const struct backend_cfg *cfg,
		   bool *equal, struct diag *d)
{
	struct nlmsghdr *req = nft_nl_request(nl, NFT_MSG_GETSETELEM, t->family, NLM_F_DUMP);
	struct port_dump pd = { 0 };
	int ret;

	*equal = false;
	mnl_attr_put_strz(req, NFTA_SET_ELEM_LIST_TABLE, t->table);
	mnl_attr_put_strz(req, NFTA_SET_ELEM_LIST_SET, t->ports);
	ret = nft_nl_query(nl, req, port_cb, &pd);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0) {
		diag_err(d, "reading set %s: %s", t->ports, strerror(-ret));
		return ret;
	}
	if (pd.extra || pd.n != cfg->nports)
		return 0;
	for (size_t i = 0; i < cfg->nports; i++) {
		bool found = false;

		for (size_t j = 0; j < pd.n; j++)
			found = found || pd.seen[j] == cfg->ports[i];
		if (!found)
			return 0;
	}
	*equal = true;
	return 0;
}

static int exists_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	*(bool *)data = true;
	return MNL_CB_OK;
}

int nft_table_exists(struct nft_nl *nl, uint16_t family, const char *table, bool *found)
{
	struct nlmsghdr *req = nft_nl_request(nl, NFT_MSG_GETTABLE, family, NLM_F_ACK);
	int ret;

	*found = false;
	mnl_attr_put_strz(req, NFTA_TABLE_NAME, table);
	ret = nft_nl_query(nl, req, exists_cb, found);
	return ret == -ENOENT ? 0 : ret;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	uint32_t *flags = data;

	if (!s || nftnl_set_nlmsg_parse(nlh, s) < 0) {
		if (s)
			nftnl_set_free(s);
		return MNL_CB_ERROR;
	}
	*flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS) | 0x80000000u;
	if (s)
		nftnl_set_free(s);
	return MNL_CB_OK;
}

/* True when the set exists and is an interval set (or, for want_interval false, exists). */
static int set_ok(struct nft_nl *nl, const struct nft_target *t, const char *set,
		  bool want_interval, bool *ok)
{
	struct nlmsghdr *req = nft_nl_request(nl, NFT_MSG_GETSET, t->family, NLM_F_ACK);
	uint32_t flags = 0;
	int ret;

	mnl_attr_put_strz(req, NFTA_SET_TABLE, t->table);
	mnl_attr_put_strz(req, NFTA_SET_NAME, set);
	ret = nft_nl_query(nl, req, set_cb, &flags);
	*ok = flags && (!want_interval || (flags & NFT_SET_INTERVAL));
	return ret == -ENOENT ? 0 : ret;
}

static int chain_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	int *state = data;

	if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		if (c)
			nftnl_chain_free(c);
		return MNL_CB_ERROR;
	}
	*state = 1;
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == NF_INET_PRE_ROUTING &&
	    nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) == -150 &&
	    (!nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ||
	     nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_ACCEPT))
		*state = 2;
	if (c)
		nftnl_chain_free(c);
	return MNL_CB_OK;
}

/* 0 missing, 1 present but not the prerouting -150 accept-policy chain, 2 as wanted. */
static int lockdown_chain_state(struct nft_nl *nl, int *state)
{
	struct nlmsghdr *req = nft_nl_request(nl, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_ACK);
	int ret;

	*state = 0;
	mnl_attr_put_strz(req, NFTA_CHAIN_TABLE, NFT_OWN_TABLE);
	mnl_attr_put_strz(req, NFTA_CHAIN_NAME, NFT_OWN_CHAIN);
	ret = nft_nl_query(nl, req, chain_get_cb, state);
	return ret == -ENOENT ? 0 : ret;
}

bool nft_rule_is_ours(const void *udata, uint32_t len)
{
	const uint8_t *p = udata, *end = p + len;

	while (p && p + 2 <= end && p + 2 + p[1] <= end) {
		if (p[0] == NFTNL_UDATA_RULE_COMMENT && p[1] == sizeof(NFT_COMMENT) &&
		    !memcmp(p + 2, NFT_COMMENT, sizeof(NFT_COMMENT)))
			return true;
		p += 2 + p[1];
	}
	return false;
}

/* counter: its packets; lookup of a set named …4/…6: the family and whether it is negated */
static void parse_expr(const struct nlattr *data, const char *name, struct nft_rule_ref *ref)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested (a, data) {
		uint16_t type = mnl_attr_get_type(a);

		if (!strcmp(name, "counter") && type == NFTA_COUNTER_PACKETS &&
		    mnl_attr_validate(a, MNL_TYPE_U64) == 0) {
			ref->counter = true;
			ref->packets = be64toh(mnl_attr_get_u64(a));
		} else if (!strcmp(name, "lookup") && type == NFTA_LOOKUP_SET &&
			   mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
			const char *set = mnl_attr_get_str(a);
			size_t n = strlen(set);

			if (n && (set[n - 1] == '4' || set[n - 1] == '6'))
				ref->set_family = set[n - 1] - '0';
		} else if (!strcmp(name, "lookup") && type == NFTA_LOOKUP_FLAGS &&
			   mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			ref->inverted =
				ref->inverted || (ntohl(mnl_attr_get_u32(a)) & NFT_LOOKUP_F_INV);
		}
	}
}

static void parse_exprs(const struct nlattr *list, struct nft_rule_ref *ref)
{
	const struct nlattr *e, *a;

	mnl_attr_for_each_nested (e, list) {
		const struct nlattr *name = NULL, *data = NULL;

		mnl_attr_for_each_nested (a, e) {
			if (mnl_attr_get_type(a) == NFTA_EXPR_NAME &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = a;
			else if (mnl_attr_get_type(a) == NFTA_EXPR_DATA)
				data = a;
		}
		if (name && data)
			parse_expr(data, mnl_attr_get_str(name), ref);
	}
}

/*
 * Only table, chain, handle, comment and the counter are needed: read those attributes
 * directly. nftnl_rule_nlmsg_parse would also decode every expression, and
 * libnftnl 1.2 dereferences a missing expression name (found by fuzz_nft_dump).
 */
static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *tb[NFTA_RULE_MAX + 1] = { 0 };
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	struct nft_rule_list *l = data;
	struct nft_rule_ref *ref;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return MNL_CB_ERROR;
	mnl_attr_for_each (a, nlh, sizeof(*g)) {
		uint16_t type = mnl_attr_get_type(a);

		if (type > NFTA_RULE_MAX)
			continue;
		if (((type == NFTA_RULE_TABLE || type == NFTA_RULE_CHAIN) &&
		     mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0) ||
		    (type == NFTA_RULE_HANDLE && mnl_attr_validate(a, MNL_TYPE_U64) < 0))
			return MNL_CB_ERROR;
		tb[type] = a;
	}
	l->total++;
	a = tb[NFTA_RULE_USERDATA];
	if (!a || !nft_rule_is_ours(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a)) ||
	    l->n == NFT_MAX_OUR_RULES)
		return MNL_CB_OK;
	ref = &l->v[l->n++];
	ref->family = g->nfgen_family;
	nft_copy_name(ref->table,
		      tb[NFTA_RULE_TABLE] ? mnl_attr_get_str(tb[NFTA_RULE_TABLE]) : NULL);
	nft_copy_name(ref->chain,
		      tb[NFTA_RULE_CHAIN] ? mnl_attr_get_str(tb[NFTA_RULE_CHAIN]) : NULL);
	ref->handle = tb[NFTA_RULE_HANDLE] ? be64toh(mnl_attr_get_u64(tb[NFTA_RULE_HANDLE])) : 0;
	ref->pos = l->total - 1;
	ref->counter = ref->inverted = false;
	ref->packets = 0;
	ref->set_family = 0;
	if (tb[NFTA_RULE_EXPRESSIONS])
		parse_exprs(tb[NFTA_RULE_EXPRESSIONS], ref);
	return MNL_CB_OK;
}

int nft_parse_rule_dump(const void *buf, size_t len, struct nft_rule_list *l)
{
	memset(l, 0, sizeof(*l));
	if (!nft_nl_buf_valid(buf, len))
		return -EBADMSG;
	return mnl_cb_run(buf, len, 0, 0, rule_cb, l) < 0 ? -EBADMSG : 0;
}

int nft_list_our_rules(struct nft_nl *nl, uint16_t family, const char *table, const char *chain,
		       struct nft_rule_list *l)
{
	struct nlmsghdr *req = nft_nl_request(nl, NFT_MSG_GETRULE, family, NLM_F_DUMP);
	int ret;

	memset(l, 0, sizeof(*l));
	if (table)
		mnl_attr_put_strz(req, NFTA_RULE_TABLE, table);
	if (chain)
		mnl_attr_put_strz(req, NFTA_RULE_CHAIN, chain);
	ret = nft_nl_query(nl, req, rule_cb, l);
	return ret == -ENOENT ? 0 : ret;
}

static bool counted(const struct nft_rule_list *l, size_t from)
{
	for (size_t i = from; i < l->n; i++)
		if (!l->v[i].counter)
			return false;
	return true;
}

int nft_read_objects(struct nft_handle *h, struct nft_target *t, struct diag *d)
{
	struct nft_rule_list rl;
	bool ok4 = true, ok6 = true;
	int state = 0, ret;

	t->has_sets = t->ports_ok = t->rules_ok = t->has_chain = t->stale_chain = false;
	t->nhandles = 0;
	ret = nft_table_exists(&h->nl, t->family, t->table, &t->has_table);
	if (ret < 0 || !t->has_table)
		goto out;
	if (t->set4)
		ret = set_ok(&h->nl, t, t->set4, true, &ok4);
	if (ret == 0 && t->set6)
		ret = set_ok(&h->nl, t, t->set6, true, &ok6);
	if (ret < 0)
		goto out;
	t->has_sets = ok4 && ok6;
	ret = nft_read_ports(&h->nl, t, &h->cfg, &t->ports_ok, d);
	if (ret < 0)
		return ret;
	if (t->own) {
		ret = lockdown_chain_state(&h->nl, &state);
		if (ret < 0)
			goto out;
		t->has_chain = state > 0;
		t->stale_chain = !t->lockdown && state > 0;
		if (!t->lockdown) {
			t->rules_ok = !t->stale_chain;
			return 0;
		}
		if (state == 0)
			return 0;
	}
	/* mode sets: no rule of ours anywhere in the table (a switch from allow left one) */
	ret = nft_list_our_rules(&h->nl, t->family, t->table,
				 t->own		? NFT_OWN_CHAIN
				 : t->sets_only ? NULL
						: t->chain,
				 &rl);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < rl.n && t->nhandles < NFT_MAX_OUR_RULES; i++)
		t->handles[t->nhandles++] = rl.v[i].handle;
	/* Own chain: exactly our five rules. Admin chain: our two rules first. All counted but
	 * lo's return (rules of builds before the counters are repaired). */
	if (t->sets_only)
		t->rules_ok = rl.n == 0;
	else if (t->own)
		t->rules_ok = state == 2 && rl.n == 5 && rl.total == 5 && counted(&rl, 1);
	else
		t->rules_ok = rl.n == 2 && rl.v[0].pos == 0 && rl.v[1].pos == 1 && counted(&rl, 0);
	return 0;
out:
	if (ret < 0)
		diag_err(d, "reading table %s %s: %s", nft_family_name(t->family), t->table,
			 strerror(-ret));
	return ret;
}
