// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The guard of docs/architecture.md §5: decides from a list and a few numbers whether a
 * source's list may be installed. Pure: it never fetches, reads state or
 * prints. --force may override the size rules (floor, shrink, growth, the
 * address-space budget) but never the rules about what a prefix may be
 * (default route, too broad, special-use), nor an empty list: falling back to
 * "nothing" is the outage we exist to stop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "guard.h"
#include "prefix.h"
#include "prefix_set.h"

struct special_range {
	struct prefix p;
	const char *reason;
	bool test; /* documentation range: allowed with allow_test_ranges */
};

#define V4(a, b, c, d, l)                                                                       \
	{                                                                                       \
		.hi = (uint64_t)(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d)) << 32, \
		.lo = 0, .len = (l), .family = AF_INET                                          \
	}
#define V6(h, l, f)                                                  \
	{                                                            \
		.hi = (h), .lo = (l), .len = (f), .family = AF_INET6 \
	}

/*
 * IANA special-purpose registries. The translation prefixes (NAT64 64:ff9b::/96
 * and 64:ff9b:1::/48, 6to4 2002::/16 and its relay 192.88.99.0/24, Teredo
 * 2001::/32) are refused too: each embeds arbitrary IPv4 hosts, so allowing
 * one opens the ports to the whole IPv4 Internet through a translator, and no
 * CDN publishes them as its own.
 */
static const struct special_range special4[] = {
	{ V4(0, 0, 0, 0, 8), "'this network' 0.0.0.0/8", false },
	{ V4(10, 0, 0, 0, 8), "private-use 10.0.0.0/8", false },
	{ V4(100, 64, 0, 0, 10), "shared address space (CGNAT) 100.64.0.0/10", false },
	{ V4(127, 0, 0, 0, 8), "loopback 127.0.0.0/8", false },
	{ V4(169, 254, 0, 0, 16), "link-local 169.254.0.0/16", false },
	{ V4(172, 16, 0, 0, 12), "private-use 172.16.0.0/12", false },
	{ V4(192, 0, 0, 0, 24), "IETF protocol assignments 192.0.0.0/24", false },
	{ V4(192, 0, 2, 0, 24), "documentation 192.0.2.0/24", true },
	{ V4(192, 31, 196, 0, 24), "AS112-v4 192.31.196.0/24", false },
	{ V4(192, 52, 193, 0, 24), "AMT 192.52.193.0/24", false },
	{ V4(192, 88, 99, 0, 24), "6to4 relay anycast 192.88.99.0/24", false },
	{ V4(192, 168, 0, 0, 16), "private-use 192.168.0.0/16", false },
	{ V4(192, 175, 48, 0, 24), "direct delegation AS112 192.175.48.0/24", false },
	{ V4(198, 18, 0, 0, 15), "benchmarking 198.18.0.0/15", false },
	{ V4(198, 51, 100, 0, 24), "documentation 198.51.100.0/24", true },
	{ V4(203, 0, 113, 0, 24), "documentation 203.0.113.0/24", true },
	{ V4(224, 0, 0, 0, 4), "multicast 224.0.0.0/4", false },
	{ V4(240, 0, 0, 0, 4), "reserved 240.0.0.0/4", false },
	{ V4(255, 255, 255, 255, 32), "limited broadcast 255.255.255.255/32", false },
};

/* One table per family: each prefix is checked against its own family's only. */
static const struct special_range special6[] = {
	{ V6(0, 0, 128), "unspecified ::/128", false },
	{ V6(0, 1, 128), "loopback ::1/128", false },
	{ V6(0, 0xffff00000000ULL, 96), "IPv4-mapped ::ffff:0:0/96", false },
	{ V6(0x0064ff9b00000000ULL, 0, 96), "NAT64 64:ff9b::/96", false },
	{ V6(0x0064ff9b00010000ULL, 0, 48), "local-use NAT64 64:ff9b:1::/48", false },
	{ V6(0, 0xffff000000000000ULL, 96), "IPv4-translated (SIIT) ::ffff:0:0:0/96", false },
	{ V6(0x0100000000000000ULL, 0, 64), "discard-only 100::/64", false },
	{ V6(0x0100000000000001ULL, 0, 64), "dummy IPv6 prefix 100:0:0:1::/64", false },
	{ V6(0x2001000000000000ULL, 0, 32), "Teredo 2001::/32", false },
	{ V6(0x2001000200000000ULL, 0, 48), "benchmarking 2001:2::/48", false },
	{ V6(0x2001000300000000ULL, 0, 32), "AMT 2001:3::/32", false },
	{ V6(0x2001000400000000ULL | 0x112ULL << 16, 0, 48), "AS112-v6 2001:4:112::/48", false },
	{ V6(0x2001001000000000ULL, 0, 28), "ORCHID 2001:10::/28", false },
	{ V6(0x2001002000000000ULL, 0, 28), "ORCHIDv2 2001:20::/28", false },
	{ V6(0x2001003000000000ULL, 0, 28), "drone remote ID 2001:30::/28", false },
	/* the rest of the IETF protocol assignments block: never a CDN's */
	{ V6(0x2001000000000000ULL, 0, 23), "IETF protocol assignments 2001::/23", false },
	{ V6(0x20010db800000000ULL, 0, 32), "documentation 2001:db8::/32", true },
	{ V6(0x2002000000000000ULL, 0, 16), "6to4 2002::/16", false },
	{ V6(0x2620004f80000000ULL, 0, 48), "direct delegation AS112 2620:4f:8000::/48", false },
	{ V6(0x3fff000000000000ULL, 0, 20), "documentation 3fff::/20", true },
	{ V6(0x5f00000000000000ULL, 0, 16), "SRv6 SIDs 5f00::/16", false },
	{ V6(0xfc00000000000000ULL, 0, 7), "unique-local fc00::/7", false },
	{ V6(0xfe80000000000000ULL, 0, 10), "link-local fe80::/10", false },
	{ V6(0xfec0000000000000ULL, 0, 10), "site-local fec0::/10", false },
	{ V6(0xff00000000000000ULL, 0, 8), "multicast ff00::/8", false },
};

static const struct prefix global_unicast = V6(0x2000000000000000ULL, 0, 3);

/*
 * Two prefixes of one family overlap when they agree on the bits of the
 * shorter one. Inline and without calls: this runs for every prefix of every
 * list against the whole table (a third of a 100k sync's CPU when it went
 * through two prefix_contains() calls per entry).
 */
static bool overlaps(const struct prefix *a, const struct prefix *b)
{
	unsigned len = a->len < b->len ? a->len : b->len;
	uint64_t mhi = len >= 64 ? ~0ULL : len ? ~0ULL << (64 - len) : 0;
	uint64_t mlo = len <= 64 ? 0 : len >= 128 ? ~0ULL : ~0ULL << (128 - len);

	return a->family == b->family && ((a->hi ^ b->hi) & mhi) == 0 &&
	       ((a->lo ^ b->lo) & mlo) == 0;
}

const char *guard_prefix_reason(const struct prefix *p, bool allow_test_ranges)
{
	if (p->len == 0)
		return p->family == AF_INET ? "default route 0.0.0.0/0" : "default route ::/0";
	if (p->family == AF_INET && p->len < 8)
		return "broader than /8";
	if (p->family == AF_INET6 && p->len < 24)
		return "broader than /24";
	if (p->family != AF_INET && p->family != AF_INET6)
		return "unknown address family";
	const struct special_range *special = p->family == AF_INET ? special4 : special6;
	size_t n = p->family == AF_INET ? sizeof(special4) / sizeof(special4[0])
					: sizeof(special6) / sizeof(special6[0]);

	for (size_t i = 0; i < n; i++) {
		if (special[i].test && allow_test_ranges)
			continue;
		if (overlaps(p, &special[i].p))
			return special[i].reason;
	}
	/* IANA allocates global unicast from 2000::/3 only; the rest is reserved or special */
	if (p->family == AF_INET6 && !prefix_contains(&global_unicast, p))
		return "outside global unicast 2000::/3";
	return NULL;
}

bool guard_host_bits_refused(const struct prefix *masked)
{
	return masked->len <
	       (masked->family == AF_INET ? GUARD_HOST_BITS_MIN_V4 : GUARD_HOST_BITS_MIN_V6);
}

/*
 * hot[o]: some IPv4 special range starts with first octet o (test ranges
 * included, a superset). An IPv4 /8 or longer whose octet is cold overlaps no
 * range, so the table walk is skipped: a 100k list costs a lookup per prefix
 * instead of 19 comparisons. Derived from special4, never a second table.
 */
static void hot_octets(bool hot[256])
{
	memset(hot, 0, 256 * sizeof(hot[0]));
	for (size_t i = 0; i < sizeof(special4) / sizeof(special4[0]); i++) {
		const struct prefix *r = &special4[i].p;
		unsigned o = (unsigned)(r->hi >> 56), span = r->len >= 8 ? 1 : 1u << (8 - r->len);

		for (unsigned k = 0; k < span && o + k < 256; k++)
			hot[o + k] = true;
	}
}

static bool cold4(const bool hot[256], const struct prefix *p)
{
	return p->family == AF_INET && p->len >= 8 && !hot[p->hi >> 56];
}

static int check_prefixes(const char *source, const struct prefix_set *list,
			  const struct guard_opts *o, struct diag *d)
{
	const struct prefix *first = NULL;
	const char *why = NULL;
	char buf[PREFIX_STRLEN];
	size_t bad = 0;
	bool hot[256];

	hot_octets(hot);
	for (size_t i = 0; i < list->n; i++) {
		const char *r;

		if (cold4(hot, &list->v[i]))
			continue;
		r = guard_prefix_reason(&list->v[i], o->allow_test_ranges);
		if (!r)
			continue;
		if (!first) {
			first = &list->v[i];
			why = r;
		}
		bad++;
	}
	if (!bad)
		return 0;
	prefix_format(first, buf, sizeof(buf));
	diag_err(d,
		 "source '%s': prefix %s refused (%s); %zu of %zu prefixes break the "
		 "special-range rules — the list is not used and --force cannot override this",
		 source, buf, why, bad, list->n);
	return -EPERM;
}

static int fam_index(int family)
{
	return family == AF_INET6 ? 1 : 0;
}

/* v4 counts in full; v6 as a power of two, which is how people size v6 space. */
static void fmt_addresses(int family, double a, char *buf, size_t size)
{
	if (family == AF_INET || a < 65536.0)
		snprintf(buf, size, "%.0f", a);
	else
		snprintf(buf, size, "2^%.1f", log2(a));
}

/*
 * The refusal of a list (with hint, what the admin can change) or, under
 * --force, its acceptance: one text for both, so the two never drift apart.
 */
static int refuse_unless_forced(struct diag *d, bool force, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse_unless_forced(struct diag *d, bool force, const char *hint, const char *fmt, ...)
{
	char body[DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (!force) {
		diag_err(d, "%s; keeping the last good list — %s", body, hint);
		return -EPERM;
	}
	diag_warn(d, "%s; ACCEPTED ONLY BECAUSE OF --force", body);
	return 0;
}

static int check_floor(const char *source, size_t n, size_t floor, const struct guard_opts *o,
		       struct diag *d)
{
	if (n >= floor)
		return 0;
	if (!o->force) {
		diag_err(d,
			 "source '%s': has %zu prefixes, fewer than the floor of %zu for "
			 "this provider; set [provider:%s] floor = %zu if this is expected, "
			 "or --force",
			 source, n, floor, source, n);
		return -EPERM;
	}
	diag_warn(d,
		  "source '%s': has %zu prefixes, fewer than the floor of %zu; "
		  "ACCEPTED ONLY BECAUSE OF --force",
		  source, n, floor);
	return 0;
}

int guard_check_shrink(const char *who, int family, size_t had, size_t now,
		       const struct guard_opts *o, struct diag *d)
{
	const char *fam = family == AF_INET6 ? "IPv6 " : family == AF_INET ? "IPv4 " : "";
	int v = family == AF_INET6 ? 6 : 4;
	unsigned pct;
	bool gone = had > 0 && now == 0;
	/* (had - now) / had > max_shrink / 100, in integers */
	bool shrunk = had > 0 && now < had && (had - now) * 100 > (size_t)o->max_shrink * had;

	if (!gone && !shrunk)
		return 0;
	pct = (unsigned)(((had - now) * 100 + had / 2) / had);
	if (now == 0 && !o->force) {
		diag_err(d,
			 "%s: had %zu IPv%d prefixes and now has none; keeping the last good "
			 "list — a family that disappears cuts the CDN's IPv%d traffic, use "
			 "--force if it really stopped using IPv%d",
			 who, had, v, v, v);
		return -EPERM;
	}
	return refuse_unless_forced(
		d, o->force, "raise [guard] max_shrink if this is expected, or --force to accept",
		"%s: %sshrank from %zu to %zu prefixes (-%u%%, max_shrink is %u%%)", who, fam, had,
		now, pct, o->max_shrink);
}

static int check_budget(const char *source, int family, double now, double max,
			const struct guard_opts *o, struct diag *d)
{
	char a[48], m[48];
	int v = family == AF_INET6 ? 6 : 4;

	if (max <= 0 || now <= max)
		return 0;
	fmt_addresses(family, now, a, sizeof(a));
	fmt_addresses(family, max, m, sizeof(m));
	return refuse_unless_forced(
		d, o->force,
		"raise max_addresses for this source if this is expected, or --force to accept",
		"source '%s': IPv%d list covers %s addresses, more than its budget of %s", source,
		v, a, m);
}

static int check_grow(const char *source, int family, double had, double now,
		      const struct guard_opts *o, struct diag *d)
{
	char a[48], b[48];
	int v = family == AF_INET6 ? 6 : 4;
	double pct;

	if (had <= 0 || now <= had * (1.0 + o->max_grow / 100.0))
		return 0;
	pct = (now - had) * 100.0 / had;
	fmt_addresses(family, had, a, sizeof(a));
	fmt_addresses(family, now, b, sizeof(b));
	return refuse_unless_forced(
		d, o->force, "raise [guard] max_grow if this is expected, or --force to accept",
		"source '%s': IPv%d grew from %s to %s addresses (+%.0f%%, max_grow is %u%%)",
		source, v, a, b, pct, o->max_grow);
}

/* count and addr: the list's prefixes and addresses of this family. */
static int check_family(const char *source, const struct prefix_set *list, int family, size_t count,
			double addr, const struct guard_limits *lim, const struct guard_opts *o,
			struct diag *d)
{
	int f = fam_index(family);
	char who[160];
	int ret;

	ret = check_budget(source, family, addr, lim->max_addresses[f], o, d);
	snprintf(who, sizeof(who), "source '%s'", source);
	/* an old state file counted both families together: that is all it can check */
	if (ret == 0 && !lim->last.known && lim->last.legacy_total && family == AF_INET)
		ret = guard_check_shrink(who, AF_UNSPEC, lim->last.legacy_total, list->n, o, d);
	if (ret < 0 || !lim->last.known)
		return ret;
	ret = guard_check_shrink(who, family, lim->last.count[f], count, o, d);
	if (ret == 0)
		ret = check_grow(source, family, lim->last.addresses[f], addr, o, d);
	return ret;
}

int guard_check_list(const char *source, const struct prefix_set *list,
		     const struct guard_limits *lim, const struct guard_opts *o, struct diag *d)
{
	size_t n = list ? list->n : 0, count[2];
	double addr[2];
	int ret;

	if (n == 0) {
		diag_err(d,
			 "source '%s': list is empty (0 prefixes); keeping the last good list — "
			 "%s",
			 source,
			 lim->local ? "check the file's contents"
				    : "check the URL / the HTTP response");
		return -EPERM;
	}
	ret = check_prefixes(source, list, o, d);
	if (ret == 0)
		ret = check_floor(source, n, lim->floor, o, d);
	prefix_set_tally(list, count, addr);
	if (ret == 0)
		ret = check_family(source, list, AF_INET, count[0], addr[0], lim, o, d);
	if (ret == 0)
		ret = check_family(source, list, AF_INET6, count[1], addr[1], lim, o, d);
	return ret;
}

int guard_check_url(const char *source, const char *url, bool insecure, struct diag *d)
{
	if (strncasecmp(url, "https://", 8) == 0)
		return 0;
	if (strncasecmp(url, "http://", 7) == 0) {
		if (insecure)
			return 0;
		diag_err(d,
			 "source '%s': plain http URL '%s' refused: lists must come over https "
			 "(set insecure = true for this source to allow it)",
			 source, url);
		return -EPERM;
	}
	if (strstr(url, "://")) {
		diag_err(d,
			 "source '%s': URL '%s' refused: only https (or a local path) is supported",
			 source, url);
		return -EPERM;
	}
	return 0;
}
