/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shards of the firewalld backend: a family's list is spread over ipsets that
 * each hold one address range of about FWD_SHARD_SIZE prefixes, because
 * firewalld 1.3 with nftables 1.0.6 pays for a whole interval set on every
 * nftables call (O(n²) to fill one set of n). Shard k of IPv4 is ipset
 * cdnallow4-k with its twin cdnallow4-kb; shard 0 keeps the names of the
 * single-set layout (cdnallow4, cdnallow4b), so small lists and hosts synced
 * by earlier builds need no migration. Pure data: nothing here talks to
 * firewalld. Private to src/backends/firewalld*.c and the unit tests.
 */
#ifndef CDNALLOW_FWD_SHARD_H
#define CDNALLOW_FWD_SHARD_H

#include <stdbool.h>
#include <stddef.h>

struct prefix_set;

/* Prefixes per shard: ~2 firewalld nftables calls to fill (it cuts setEntries into 1000s). */
#define FWD_SHARD_SIZE 2000
/* Highest shard index + 1 a name may carry. */
#define FWD_SHARD_MAX 10000
/* "cdnallow6-9999b" and the NUL. */
#define FWD_NAME_MAX 24

/* The ipset name of shard k of family i (0 = IPv4, 1 = IPv6), twin t (0 = a, 1 = b). */
void fwd_shard_name(char buf[FWD_NAME_MAX], int i, size_t k, int t);
/* True when name is a shard ipset of cdnallow's; *i, *k and *t say which. */
bool fwd_shard_parse(const char *name, int *i, size_t *k, int *t);

/* The wanted entries of each shard index; v[k] empty: shard k unused. */
struct fwd_part {
	struct prefix_set **v;
	size_t n;
};

void fwd_part_release(struct fwd_part *p);
/*
 * Spreads want (one family, aggregated) over shards of about size prefixes.
 * cur[k] (NULL or empty: unused) is what shard k serves now: each used shard
 * keeps the range from its lowest prefix up to the next shard's, so changes
 * clustered in one address range touch few shards. A range above 2 * size is
 * split into pieces of about size (the first keeps its index, the others take
 * the lowest free ones below limit, in fewer and larger pieces when they run
 * out); one below size / 4 joins a neighbour. Empty want and nothing
 * installed: one empty shard 0. -EINVAL for size 0.
 */
int fwd_part_plan(const struct prefix_set *const *cur, size_t ncur, const struct prefix_set *want,
		  size_t size, size_t limit, struct fwd_part *out);

#endif
