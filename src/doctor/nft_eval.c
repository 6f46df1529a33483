// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small evaluator of the kernel's nftables ruleset (`nft -j list ruleset`)
 * for one probe packet: a new TCP connection from a CDN address to a web port.
 * It walks every filter base chain at prerouting and input, as the kernel does
 * (a drop in any of them wins), following jumps. What it cannot decide (an xt
 * match, a verdict map, an interface name) makes the verdict "uncertain"
 * rather than a guess: doctor must not raise false alarms, nor miss a drop.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "doctor.h"
#include "prefix.h"

#define MAX_DEPTH 16
/* chain walks per base chain: jumps may fan out (3 jumps a chain, 16 deep: 3^16 walks) */
#define MAX_WALKS 4096

enum tri { NO, YES, MAYBE };
enum outcome { OUT_CONTINUE, OUT_ACCEPT, OUT_DROP };

struct ev {
	json_t *items;
	const struct probe *p;
	struct prefix src; /* the probe's source as a host prefix */
	const char *family, *table;
	bool uncertain;
	char because[256];
	unsigned walks;
};

static bool str_is(json_t *j, const char *s)
{
	return json_is_string(j) && !strcmp(json_string_value(j), s);
}

static json_t *find_obj(struct ev *e, const char *kind, const char *name)
{
	size_t i;
	json_t *it, *o;

	json_array_foreach (e->items, i, it) {
		o = json_object_get(it, kind);
		if (o && str_is(json_object_get(o, "family"), e->family) &&
		    str_is(json_object_get(o, "table"), e->table) &&
		    str_is(json_object_get(o, "name"), name))
			return o;
	}
	return NULL;
}

/* Is the probe source inside one address element (string, prefix, range)? */
static enum tri addr_in_elem(struct ev *e, json_t *el)
{
	struct prefix p, lo, hi;
	json_t *x;

	if (json_is_object(el) && (x = json_object_get(el, "elem")))
		return addr_in_elem(e, json_object_get(x, "val"));
	if (json_is_string(el)) {
		const char *s = json_string_value(el);

		if (prefix_parse(s, strlen(s), &p, NULL) < 0)
			return MAYBE;
		return prefix_contains(&p, &e->src) ? YES : NO;
	}
	x = json_object_get(el, "prefix");
	if (x) {
		const char *a = json_string_value(json_object_get(x, "addr"));
		char buf[PREFIX_STRLEN + 8];

		if (!a)
			return MAYBE;
		snprintf(buf, sizeof(buf), "%.50s/%d", a,
			 (int)json_integer_value(json_object_get(x, "len")));
		if (prefix_parse(buf, strlen(buf), &p, NULL) < 0)
			return MAYBE;
		return prefix_contains(&p, &e->src) ? YES : NO;
	}
	x = json_object_get(el, "range");
	if (json_is_array(x) && json_array_size(x) == 2) {
		const char *a = json_string_value(json_array_get(x, 0));
		const char *b = json_string_value(json_array_get(x, 1));

		if (!a || !b || prefix_parse(a, strlen(a), &lo, NULL) < 0 ||
		    prefix_parse(b, strlen(b), &hi, NULL) < 0 || lo.family != e->src.family)
			return MAYBE;
		return prefix_cmp(&lo, &e->src) <= 0 && prefix_cmp(&e->src, &hi) <= 0 ? YES : NO;
	}
	return MAYBE;
}

static enum tri port_in_elem(struct ev *e, json_t *el)
{
	json_t *x;

	if (json_is_object(el) && (x = json_object_get(el, "elem")))
		return port_in_elem(e, json_object_get(x, "val"));
	if (json_is_integer(el))
		return json_integer_value(el) == e->p->dport ? YES : NO;
	x = json_object_get(el, "range");
	if (json_is_array(x) && json_array_size(x) == 2 && json_is_integer(json_array_get(x, 0)))
		return json_integer_value(json_array_get(x, 0)) <= e->p->dport &&
				       e->p->dport <= json_integer_value(json_array_get(x, 1))
			       ? YES
			       : NO;
	return MAYBE;
}

static enum tri str_in_elem(struct ev *e, json_t *el, const char *const *yes, const char *const *no)
{
	(void)e;
	if (json_is_object(el) && json_object_get(el, "elem"))
		el = json_object_get(json_object_get(el, "elem"), "val");
	for (; yes && *yes; yes++)
		if (str_is(el, *yes))
			return YES;
	for (; no && *no; no++)
		if (str_is(el, *no))
			return NO;
	return MAYBE;
}

typedef enum tri (*elem_fn)(struct ev *e, json_t *el, const void *arg);

struct kind {
	enum tri (*addr)(struct ev *e, json_t *el);
	const char *const *yes, *const *no;
};

static enum tri one_elem(struct ev *e, const struct kind *k, json_t *el)
{
	if (k->addr)
		return k->addr(e, el);
	return str_in_elem(e, el, k->yes, k->no);
}

/* Membership of the probe's value in a right-hand side: value, anonymous set, @named set. */
static enum tri in_right(struct ev *e, const struct kind *k, json_t *right)
{
	json_t *elems = NULL, *el, *set;
	enum tri r = NO, t;
	size_t i;

	if (json_is_string(right) && json_string_value(right)[0] == '@') {
		set = find_obj(e, "set", json_string_value(right) + 1);
		if (!set)
			return MAYBE;
		elems = json_object_get(set, "elem");
		if (!elems)
			return NO;
	} else if (json_is_object(right) && json_object_get(right, "set")) {
		elems = json_object_get(right, "set");
	} else if (json_is_array(right)) {
		elems = right; /* a list of flags, e.g. ct state { established, related } */
	}
	if (!elems)
		return one_elem(e, k, right);
	if (!json_is_array(elems))
		return one_elem(e, k, elems);
	json_array_foreach (elems, i, el) {
		t = one_elem(e, k, el);
		if (t == YES)
			return YES;
		if (t == MAYBE)
			r = MAYBE;
	}
	return r;
}

static const char *const tcp_names[] = { "tcp", NULL };
static const char *const not_tcp[] = { "udp", "icmp", "ipv6-icmp", "icmpv6", "sctp", "esp", NULL };
static const char *const new_state[] = { "new", NULL };
static const char *const old_states[] = { "established", "related", "invalid", "untracked", NULL };
static const char *const lo_only[] = { "lo", NULL };
static const char *const local_type[] = { "local", NULL };

static enum tri match_left(struct ev *e, json_t *left, json_t *right)
{
	struct kind k = { 0 };
	json_t *x;
	bool v4 = e->p->family == AF_INET;

	if ((x = json_object_get(left, "payload"))) {
		json_t *proto = json_object_get(x, "protocol"),
		       *field = json_object_get(x, "field");

		if ((str_is(proto, "ip") && !v4) || (str_is(proto, "ip6") && v4))
			return NO; /* the implicit protocol dependency fails */
		if ((str_is(proto, "ip") || str_is(proto, "ip6")) && str_is(field, "saddr")) {
			k.addr = addr_in_elem;
			return in_right(e, &k, right);
		}
		if ((str_is(proto, "tcp") || str_is(proto, "th")) && str_is(field, "dport")) {
			k.addr = port_in_elem;
			return in_right(e, &k, right);
		}
		if ((str_is(proto, "ip") && str_is(field, "protocol")) ||
		    (str_is(proto, "ip6") && str_is(field, "nexthdr"))) {
			k.yes = tcp_names;
			k.no = not_tcp;
			return in_right(e, &k, right);
		}
		if (str_is(proto, "udp") || str_is(proto, "icmp") || str_is(proto, "icmpv6") ||
		    str_is(proto, "sctp"))
			return NO; /* a TCP packet has no such header */
		return MAYBE;
	}
	if ((x = json_object_get(left, "meta"))) {
		json_t *key = json_object_get(x, "key");
		static const char *const v4n[] = { "ipv4", NULL }, *const v6n[] = { "ipv6", NULL };

		if (str_is(key, "l4proto") || str_is(key, "protocol")) {
			k.yes = tcp_names;
			k.no = not_tcp;
		} else if (str_is(key, "nfproto")) {
			k.yes = v4 ? v4n : v6n;
			k.no = v4 ? v6n : v4n;
		} else if (str_is(key, "iif") || str_is(key, "iifname")) {
			k.no = lo_only; /* the CDN never arrives on lo; other names: unknown here */
		} else {
			return MAYBE;
		}
		return in_right(e, &k, right);
	}
	if ((x = json_object_get(left, "ct")) && str_is(json_object_get(x, "key"), "state")) {
		k.yes = new_state;
		k.no = old_states;
		return in_right(e, &k, right);
	}
	if ((x = json_object_get(left, "fib")) && str_is(json_object_get(x, "result"), "type")) {
		k.yes = local_type;
		return in_right(e, &k, right);
	}
	return MAYBE;
}

static enum tri eval_match(struct ev *e, json_t *m)
{
	const char *op = json_string_value(json_object_get(m, "op"));
	enum tri t = match_left(e, json_object_get(m, "left"), json_object_get(m, "right"));

	if (!op || !strcmp(op, "==") || !strcmp(op, "in"))
		return t;
	if (!strcmp(op, "!="))
		return t == MAYBE ? MAYBE : (t == YES ? NO : YES);
	return MAYBE;
}

static void note(struct ev *e, json_t *rule, const char *chain, const char *what)
{
	char *text = json_dumps(json_object_get(rule, "expr"), JSON_COMPACT);

	snprintf(e->because, sizeof(e->because), "chain %s rule handle %lld %s: %.160s", chain,
		 (long long)json_integer_value(json_object_get(rule, "handle")), what,
		 text ? text : "");
	free(text);
}

static enum outcome eval_chain(struct ev *e, const char *chain, int depth);

static enum outcome eval_rule(struct ev *e, json_t *rule, const char *chain, int depth, bool *ret)
{
	enum tri m = YES;
	json_t *st, *x;
	size_t i;

	*ret = false;
	json_array_foreach (json_object_get(rule, "expr"), i, st) {
		if ((x = json_object_get(st, "match"))) {
			enum tri t = eval_match(e, x);

			if (t == NO)
				return OUT_CONTINUE;
			if (t == MAYBE)
				m = MAYBE;
			continue;
		}
		if ((x = json_object_get(st, "xt"))) {
			if (str_is(json_object_get(x, "type"), "match") &&
			    str_is(json_object_get(x, "name"), "comment"))
				continue;
			m = MAYBE;
			continue;
		}
		if (json_object_get(st, "vmap")) {
			/* a verdict chosen by a map: whatever it does is undecidable here */
			if (!e->uncertain)
				note(e, rule, chain, "(verdict map)");
			e->uncertain = true;
			return OUT_CONTINUE;
		}
		if (json_object_get(st, "limit") || json_object_get(st, "queue")) {
			m = MAYBE;
			continue;
		}
		bool accept = json_object_get(st, "accept") != NULL;
		bool drop = json_object_get(st, "drop") || json_object_get(st, "reject");
		json_t *jump = json_object_get(st, "jump"), *go = json_object_get(st, "goto");

		if (!accept && !drop && !jump && !go && !json_object_get(st, "return"))
			continue; /* counter, log, mangle: not a verdict */
		if (m == MAYBE) {
			if (!e->uncertain)
				note(e, rule, chain, "(undecidable here)");
			e->uncertain = true;
			return OUT_CONTINUE;
		}
		if (accept || drop) {
			note(e, rule, chain, accept ? "accepts" : "drops");
			return accept ? OUT_ACCEPT : OUT_DROP;
		}
		if (jump || go) {
			const char *target =
				json_string_value(json_object_get(jump ? jump : go, "target"));
			enum outcome o;

			if (!target || depth >= MAX_DEPTH) {
				/* a "may drop" finding must say why */
				if (!e->uncertain)
					note(e, rule, chain,
					     target ? "(jumps nested too deep)"
						    : "(jump without target)");
				e->uncertain = true;
				return OUT_CONTINUE;
			}
			o = eval_chain(e, target, depth + 1);
			if (o != OUT_CONTINUE || go)
				*ret = go != NULL;
			return o;
		}
		*ret = true; /* return */
		return OUT_CONTINUE;
	}
	return OUT_CONTINUE;
}

static enum outcome eval_chain(struct ev *e, const char *chain, int depth)
{
	json_t *it, *rule;
	size_t i;

	if (++e->walks > MAX_WALKS) {
		if (!e->uncertain)
			snprintf(e->because, sizeof(e->because), "more than %d jumps to follow",
				 MAX_WALKS);
		e->uncertain = true;
		return OUT_CONTINUE;
	}
	json_array_foreach (e->items, i, it) {
		enum outcome o;
		bool ret;

		rule = json_object_get(it, "rule");
		if (!rule || !str_is(json_object_get(rule, "family"), e->family) ||
		    !str_is(json_object_get(rule, "table"), e->table) ||
		    !str_is(json_object_get(rule, "chain"), chain))
			continue;
		o = eval_rule(e, rule, chain, depth, &ret);
		if (o != OUT_CONTINUE || ret)
			return o;
	}
	return OUT_CONTINUE;
}

static bool family_sees(const char *family, int af)
{
	return !strcmp(family, "inet") || (!strcmp(family, "ip") && af == AF_INET) ||
	       (!strcmp(family, "ip6") && af == AF_INET6);
}

int nft_eval_ruleset(const char *json, size_t len, const struct probe *p,
		     struct chain_verdict **out, size_t *n, struct diag *d)
{
	struct ev e = { .p = p };
	json_error_t jerr;
	json_t *root, *it, *ch;
	size_t i;
	int ret = 0;

	*out = NULL;
	*n = 0;
	root = json_loadb(json, len, 0, &jerr);
	e.items = json_object_get(root, "nftables");
	if (!json_is_array(e.items)) {
		diag_err(d, "nft ruleset JSON: %s", root ? "no \"nftables\" array" : jerr.text);
		ret = -EBADMSG;
		goto out;
	}
	ret = prefix_from_bytes(p->family, p->saddr, p->family == AF_INET ? 32 : 128, &e.src);
	if (ret < 0)
		goto out;
	json_array_foreach (e.items, i, it) {
		struct chain_verdict *v, *nv;
		const char *hook, *type, *policy, *name;
		enum outcome o;

		ch = json_object_get(it, "chain");
		hook = json_string_value(json_object_get(ch, "hook"));
		type = json_string_value(json_object_get(ch, "type"));
		if (!ch || !hook || !type || strcmp(type, "filter") ||
		    (strcmp(hook, "input") && strcmp(hook, "prerouting")))
			continue;
		e.family = json_string_value(json_object_get(ch, "family"));
		e.table = json_string_value(json_object_get(ch, "table"));
		name = json_string_value(json_object_get(ch, "name"));
		if (!e.family || !e.table || !name || !family_sees(e.family, p->family))
			continue;
		e.uncertain = false;
		e.walks = 0;
		e.because[0] = '\0';
		o = eval_chain(&e, name, 0);
		policy = json_string_value(json_object_get(ch, "policy"));
		if (o == OUT_CONTINUE) {
			o = policy && !strcmp(policy, "drop") ? OUT_DROP : OUT_ACCEPT;
			if (!e.uncertain)
				snprintf(e.because, sizeof(e.because), "policy %s",
					 policy ? policy : "accept");
		}
		nv = realloc(*out, (*n + 1) * sizeof(*nv));
		if (!nv) {
			ret = -ENOMEM;
			goto out;
		}
		*out = nv;
		v = &nv[(*n)++];
		snprintf(v->where, sizeof(v->where),
			 "table %s %s chain %s (hook %s, priority %lld)", e.family, e.table, name,
			 hook, (long long)json_integer_value(json_object_get(ch, "prio")));
		v->verdict = o == OUT_DROP ? VERDICT_DROP : VERDICT_ACCEPT;
		v->uncertain = e.uncertain;
		snprintf(v->because, sizeof(v->because), "%s", e.because);
	}
	ret = (int)*n;
out:
	json_decref(root);
	if (ret < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return ret;
}
