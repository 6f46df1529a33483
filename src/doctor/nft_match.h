/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to src/doctor: what one nftables expression (`nft -j` JSON) says
 * about the doctor's probe packet. Shared by the chain walker (nft_eval.c)
 * and the ban-list check; never decides a verdict itself.
 */
#ifndef CDNALLOW_NFT_MATCH_H
#define CDNALLOW_NFT_MATCH_H

#include <jansson.h>
#include <stdbool.h>

#include "prefix.h"

struct probe;

enum tri { NO, YES, MAYBE };

struct nft_ev {
	json_t *items; /* the "nftables" array */
	const struct probe *p;
	struct prefix src; /* the probe's source as a host prefix */
	const char *family, *table;
	const char *unknown; /* what the last MAYBE could not decide ("ip daddr", "xt match") */
};

#define NFT_KEY_PARTS 4

/* What the left-hand side of a match reads from the packet. */
struct nft_key {
	int type;
	unsigned mask; /* tcp flags & mask */
	int nparts;    /* concatenations */
	int part[NFT_KEY_PARTS];
};

/* The set, map or chain object `kind` named `name` in the current table. */
json_t *nft_ev_find(const struct nft_ev *e, const char *kind, const char *name);
/*
 * Reads a left-hand side: YES fills *k, NO when the packet cannot carry it (an
 * ip6 field of an IPv4 packet, a udp header of a TCP packet: the rule never
 * matches, whatever the operator), MAYBE for keys the doctor cannot know.
 */
enum tri nft_key_of(struct nft_ev *e, json_t *left, struct nft_key *k);
/* Is the probe's value of k inside one element (value, prefix, range, concat)? */
enum tri nft_key_elem(struct nft_ev *e, const struct nft_key *k, json_t *el);
/*
 * The elements of a right-hand side (anonymous set, @named set or map, list of
 * flags) into *elems (NULL: empty): returns 1, 0 for a single value, -1 for a
 * named set the ruleset lacks.
 */
int nft_right_elems(struct nft_ev *e, json_t *right, json_t **elems);
/* An address or prefix element ("192.0.2.1", {"prefix": …}) as a prefix; -1 otherwise. */
int nft_elem_prefix(json_t *el, struct prefix *p);
/* One "match" statement for the probe. */
enum tri nft_ev_match(struct nft_ev *e, json_t *m);

#endif
