// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What one nftables match says about the doctor's probe: a new TCP connection
 * (a SYN) from a CDN address to a web port of this host, arriving on an
 * uplink (never lo, never a container bridge), routed locally. Each key the
 * rulesets of Debian, ufw, firewalld, Docker, fail2ban and CrowdSec use is
 * modelled; only what truly depends on the moment (a rate limit, a mark, the
 * destination address the CDN picked) is MAYBE. Never guesses YES or NO.
 */
#include <string.h>
#include <sys/socket.h>

#include "doctor.h"
#include "nft_match.h"

enum {
	K_SADDR = 1,
	K_DADDR,
	K_DPORT,
	K_PROTO,
	K_NFPROTO,
	K_IIF,
	K_CTSTATE,
	K_CTDIR,
	K_CTSTATUS,
	K_FIBTYPE,
	K_FIBOIF,
	K_PKTTYPE,
	K_FLAGS,
	K_CONCAT,
};

#define TCP_SYN 0x02

static bool str_is(json_t *j, const char *s)
{
	return json_is_string(j) && !strcmp(json_string_value(j), s);
}

static bool str_in(json_t *j, const char *const *list)
{
	for (; *list; list++) {
		if (str_is(j, *list))
			return true;
	}
	return false;
}

json_t *nft_ev_find(const struct nft_ev *e, const char *kind, const char *name)
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

int nft_elem_prefix(json_t *el, struct prefix *p)
{
	char buf[PREFIX_STRLEN + 8];
	json_t *x = json_object_get(el, "prefix");
	const char *a = json_string_value(x ? json_object_get(x, "addr") : el);

	if (!a)
		return -1;
	if (x)
		snprintf(buf, sizeof(buf), "%.50s/%d", a,
			 (int)json_integer_value(json_object_get(x, "len")));
	else
		snprintf(buf, sizeof(buf), "%.50s", a);
	return prefix_parse(buf, strlen(buf), p, NULL);
}

static enum tri addr_in(struct nft_ev *e, json_t *el)
{
	struct prefix p, lo, hi;
	json_t *r = json_object_get(el, "range");

	if (json_is_array(r) && json_array_size(r) == 2) {
		if (nft_elem_prefix(json_array_get(r, 0), &lo) < 0 ||
		    nft_elem_prefix(json_array_get(r, 1), &hi) < 0)
			return MAYBE;
		if (lo.family != e->src.family)
			return NO;
		return prefix_cmp(&lo, &e->src) <= 0 && prefix_cmp(&e->src, &hi) <= 0 ? YES : NO;
	}
	if (nft_elem_prefix(el, &p) < 0)
		return MAYBE;
	if (p.family != e->src.family)
		return NO;
	return prefix_contains(&p, &e->src) ? YES : NO;
}

/* The CDN connects to a unicast address of this host: never loopback nor multicast. */
static enum tri daddr_in(struct nft_ev *e, json_t *el)
{
	static const char *const never[] = { "127.0.0.0/8",	   "224.0.0.0/4", "0.0.0.0/8",
					     "255.255.255.255/32", "::1/128",	  "ff00::/8" };
	struct prefix p, n;

	if (nft_elem_prefix(el, &p) < 0)
		return MAYBE;
	if (p.family != e->src.family)
		return NO;
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		prefix_parse(never[i], strlen(never[i]), &n, NULL);
		if (prefix_contains(&n, &p))
			return NO;
	}
	e->unknown = "the destination address";
	return MAYBE;
}

static enum tri port_in(struct nft_ev *e, json_t *el)
{
	json_t *r = json_object_get(el, "range");
	long port = e->p->dport;

	if (json_is_integer(el))
		return json_integer_value(el) == port ? YES : NO;
	if (str_is(el, "http") || str_is(el, "https"))
		return (str_is(el, "http") ? 80 : 443) == port ? YES : NO;
	if (json_is_array(r) && json_array_size(r) == 2 && json_is_integer(json_array_get(r, 0)) &&
	    json_is_integer(json_array_get(r, 1)))
		return json_integer_value(json_array_get(r, 0)) <= port &&
				       port <= json_integer_value(json_array_get(r, 1))
			       ? YES
			       : NO;
	return MAYBE;
}

/* Interfaces a CDN packet never arrives on: loopback and container or VM bridges. */
static enum tri iif_in(struct nft_ev *e, json_t *el)
{
	static const char *const inner[] = {
		"lo", "docker", "br-", "veth", "virbr", "lxcbr", NULL
	};
	const char *s = json_string_value(el), *iif = e->p->iif;
	size_t n;

	if (!s)
		return MAYBE;
	n = strlen(s);
	if (iif[0])
		return (n && s[n - 1] == '*') ? !strncmp(s, iif, n - 1) ? YES : NO
		       : !strcmp(s, iif)      ? YES
					      : NO;
	if (!strcmp(s, "lo"))
		return NO;
	for (size_t i = 1; inner[i]; i++) {
		if (!strncmp(s, inner[i], strlen(inner[i])))
			return NO;
	}
	e->unknown = "the input interface";
	return MAYBE;
}

static enum tri str_elem(json_t *el, const char *const *yes)
{
	return str_in(el, yes) ? YES : json_is_string(el) ? NO : MAYBE;
}

static enum tri part_elem(struct nft_ev *e, int type, json_t *el)
{
	static const char *const tcp[] = { "tcp", NULL }, *const v4[] = { "ipv4", NULL },
				 *const v6[] = { "ipv6", NULL }, *const new[] = { "new", NULL },
				 *const orig[] = { "original", NULL },
				 *const local[] = { "local", NULL },
				 *const host[] = { "host", NULL };

	switch (type) {
	case K_SADDR:
		return addr_in(e, el);
	case K_DADDR:
		return daddr_in(e, el);
	case K_DPORT:
		return port_in(e, el);
	case K_PROTO:
		return json_is_integer(el) ? json_integer_value(el) == 6 ? YES : NO
					   : str_elem(el, tcp);
	case K_NFPROTO:
		return str_elem(el, e->p->family == AF_INET ? v4 : v6);
	case K_IIF:
		return iif_in(e, el);
	case K_CTSTATE:
		return str_elem(el, new);
	case K_CTDIR:
		return str_elem(el, orig);
	case K_CTSTATUS:
		/* a connection to a port of this host was not translated */
		return str_is(el, "dnat") || str_is(el, "snat") ? NO : MAYBE;
	case K_FIBTYPE:
		return str_elem(el, local);
	case K_FIBOIF:
		/* the CDN's connection works only if the reverse path exists */
		return json_is_boolean(el) ? json_is_true(el) ? YES : NO : MAYBE;
	case K_PKTTYPE:
		return str_elem(el, host);
	}
	return MAYBE;
}

enum tri nft_key_elem(struct nft_ev *e, const struct nft_key *k, json_t *el)
{
	json_t *x;
	enum tri r = YES, t;

	if (json_is_object(el) && (x = json_object_get(el, "elem")))
		el = json_object_get(x, "val");
	if (k->type != K_CONCAT)
		return part_elem(e, k->type, el);
	x = json_object_get(el, "concat");
	if (!json_is_array(x) || (int)json_array_size(x) != k->nparts)
		return MAYBE;
	for (int i = 0; i < k->nparts; i++) {
		t = part_elem(e, k->part[i], json_array_get(x, i));
		if (t == NO)
			return NO;
		if (t == MAYBE)
			r = MAYBE;
	}
	return r;
}

static enum tri payload_key(struct nft_ev *e, json_t *x, struct nft_key *k)
{
	static const char *const other_l4[] = { "udp",	"udplite", "icmp", "icmpv6", "sctp",
						"dccp", "esp",	   "ah",   "comp",   "igmp",
						"gre",	"vxlan",   NULL };
	json_t *proto = json_object_get(x, "protocol"), *field = json_object_get(x, "field");
	bool v4 = e->p->family == AF_INET;

	if ((str_is(proto, "ip") && !v4) || (str_is(proto, "ip6") && v4) || str_in(proto, other_l4))
		return NO; /* the implicit protocol dependency fails: the rule never matches */
	if (str_is(proto, "ip") || str_is(proto, "ip6")) {
		if (str_is(field, "saddr"))
			k->type = K_SADDR;
		else if (str_is(field, "daddr"))
			k->type = K_DADDR;
		else if (str_is(field, "protocol") || str_is(field, "nexthdr"))
			k->type = K_PROTO;
	} else if ((str_is(proto, "tcp") || str_is(proto, "th")) && str_is(field, "dport")) {
		k->type = K_DPORT;
	} else if (str_is(proto, "tcp") && str_is(field, "flags")) {
		k->type = K_FLAGS;
		k->mask = 0xff;
	}
	return k->type ? YES : MAYBE;
}

static enum tri meta_key(json_t *x, struct nft_key *k)
{
	json_t *key = json_object_get(x, "key");

	if (str_is(key, "l4proto") || str_is(key, "protocol"))
		k->type = K_PROTO;
	else if (str_is(key, "nfproto"))
		k->type = K_NFPROTO;
	else if (str_is(key, "iif") || str_is(key, "iifname"))
		k->type = K_IIF;
	else if (str_is(key, "pkttype"))
		k->type = K_PKTTYPE;
	return k->type ? YES : MAYBE;
}

static enum tri simple_key(struct nft_ev *e, json_t *left, struct nft_key *k)
{
	json_t *x;

	if ((x = json_object_get(left, "payload")))
		return payload_key(e, x, k);
	if ((x = json_object_get(left, "meta")))
		return meta_key(x, k);
	if ((x = json_object_get(left, "ct"))) {
		json_t *key = json_object_get(x, "key");

		k->type = str_is(key, "state")	     ? K_CTSTATE
			  : str_is(key, "direction") ? K_CTDIR
			  : str_is(key, "status")    ? K_CTSTATUS
						     : 0;
	} else if ((x = json_object_get(left, "fib"))) {
		json_t *res = json_object_get(x, "result");

		k->type = str_is(res, "type") ? K_FIBTYPE : str_is(res, "oif") ? K_FIBOIF : 0;
	}
	return k->type ? YES : MAYBE;
}

enum tri nft_key_of(struct nft_ev *e, json_t *left, struct nft_key *k)
{
	json_t *x, *part;
	enum tri r = YES, t;
	size_t i;

	memset(k, 0, sizeof(*k));
	x = json_object_get(left, "&");
	if (json_is_array(x) && json_array_size(x) == 2) {
		t = simple_key(e, json_array_get(x, 0), k);
		if (t != YES || k->type != K_FLAGS)
			return t == NO ? NO : MAYBE;
		k->mask = 0;
		return YES; /* the mask is read by the caller */
	}
	x = json_object_get(left, "concat");
	if (!json_is_array(x))
		return simple_key(e, left, k);
	if (json_array_size(x) > NFT_KEY_PARTS)
		return MAYBE;
	json_array_foreach (x, i, part) {
		struct nft_key sub;

		t = simple_key(e, part, &sub);
		if (t == NO)
			return NO;
		if (t == MAYBE || sub.type == K_FLAGS)
			r = MAYBE;
		k->part[k->nparts++] = sub.type;
	}
	k->type = K_CONCAT;
	return r;
}

int nft_right_elems(struct nft_ev *e, json_t *right, json_t **elems)
{
	json_t *o;

	*elems = NULL;
	if (json_is_string(right) && json_string_value(right)[0] == '@') {
		o = nft_ev_find(e, "set", json_string_value(right) + 1);
		if (!o)
			o = nft_ev_find(e, "map", json_string_value(right) + 1);
		if (!o)
			return -1;
		*elems = json_object_get(o, "elem"); /* NULL: an empty set */
		return 1;
	}
	if (json_is_object(right) && (o = json_object_get(right, "set"))) {
		*elems = o;
		return 1;
	}
	if (json_is_array(right)) {
		*elems = right; /* a list of flags: ct state { established, related } */
		return 1;
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
} tcp_flags[] = { { "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 }, { "psh", 0x08 },
		  { "ack", 0x10 }, { "urg", 0x20 }, { "ecn", 0x40 }, { "cwr", 0x80 } };

static int flags_value(json_t *v)
{
	json_t *it;
	size_t i;
	int r = 0, t;

	if (json_is_integer(v))
		return (int)json_integer_value(v) & 0xff;
	if (json_is_object(v) && (it = json_object_get(v, "|")))
		v = it;
	if (json_is_array(v)) {
		json_array_foreach (v, i, it) {
			t = flags_value(it);
			if (t < 0)
				return -1;
			r |= t;
		}
		return r;
	}
	for (i = 0; i < sizeof(tcp_flags) / sizeof(tcp_flags[0]); i++) {
		if (str_is(v, tcp_flags[i].name))
			return (int)tcp_flags[i].bit;
	}
	return -1;
}

/* tcp flags [& mask] OP value, for a SYN */
static enum tri flags_match(json_t *left, const char *op, json_t *right)
{
	json_t *x = json_object_get(left, "&");
	int mask = x ? flags_value(json_array_get(x, 1)) : 0xff, want = flags_value(right);
	int have = TCP_SYN & mask;

	if (mask < 0 || want < 0)
		return MAYBE;
	if (!strcmp(op, "in"))
		return (have & want) ? YES : NO;
	if (!strcmp(op, "=="))
		return have == want ? YES : NO;
	if (!strcmp(op, "!="))
		return have != want ? YES : NO;
	return MAYBE;
}

static enum tri in_right(struct nft_ev *e, const struct nft_key *k, json_t *right)
{
	json_t *elems, *el;
	enum tri r = NO, t;
	int kind = nft_right_elems(e, right, &elems);
	size_t i;

	if (kind < 0) {
		e->unknown = "a set that is not in the ruleset";
		return MAYBE;
	}
	if (!kind)
		return nft_key_elem(e, k, right);
	if (!json_is_array(elems))
		return elems ? nft_key_elem(e, k, elems) : NO;
	json_array_foreach (elems, i, el) {
		t = nft_key_elem(e, k, el);
		if (t == YES)
			return YES;
		if (t == MAYBE)
			r = MAYBE;
	}
	return r;
}

enum tri nft_ev_match(struct nft_ev *e, json_t *m)
{
	const char *op = json_string_value(json_object_get(m, "op")), *before = e->unknown;
	json_t *left = json_object_get(m, "left"), *right = json_object_get(m, "right");
	struct nft_key k;
	enum tri t = nft_key_of(e, left, &k);

	if (!op)
		op = "==";
	if (t == NO)
		return NO; /* whatever the operator: the packet has no such field */
	if (t == MAYBE) {
		e->unknown = "an expression the doctor does not model";
		return MAYBE;
	}
	if (k.type == K_FLAGS)
		return flags_match(left, op, right);
	t = in_right(e, &k, right);
	if (t != MAYBE)
		e->unknown = before; /* a MAYBE element did not decide it */
	if (!strcmp(op, "==") || !strcmp(op, "in"))
		return t;
	if (!strcmp(op, "!="))
		return t == MAYBE ? MAYBE : t == YES ? NO : YES;
	e->unknown = "a comparison other than == and !=";
	return MAYBE;
}
