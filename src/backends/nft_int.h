/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private interface between the files of the nftables backend (nftables.c,
 * nft_nl.c, nft_batch.c, nft_read.c, nft_objects.c, nft_cache.c). Nothing
 * outside src/backends/nft_*.c and nftables.c may include it: the rest of
 * cdnallow sees only struct backend_ops.
 */
#ifndef CDNALLOW_NFT_INT_H
#define CDNALLOW_NFT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

struct diag;
struct mnl_socket;
struct nlmsghdr;
struct prefix_set;

#define NFT_OWN_TABLE "cdnallow"
#define NFT_OWN_CHAIN "lockdown"
#define NFT_COMMENT "cdnallow"
#define NFT_NAME_MAX 64
#define NFT_MAX_OUR_RULES 16

struct nft_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	char *buf; /* receive buffer */
	size_t bufsize;
};

int nft_nl_open(struct nft_nl *nl, struct diag *d);
void nft_nl_close(struct nft_nl *nl);
/*
 * Sends req (NLM_F_DUMP, or NLM_F_ACK for a single get) and feeds every reply
 * to cb (a mnl_cb_t) until the dump ends or the ack arrives. -errno on a
 * kernel error (-ENOENT for a missing object).
 */
int nft_nl_query(struct nft_nl *nl, struct nlmsghdr *req,
		 int (*cb)(const struct nlmsghdr *, void *), void *data);
/* Every message of a received buffer lies inside it (checked before libmnl walks it). */
bool nft_nl_buf_valid(const void *buf, size_t len);
/* Builds the header of a request into nl's buffer with a fresh sequence number. */
struct nlmsghdr *nft_nl_request(struct nft_nl *nl, uint16_t type, uint16_t family, uint16_t flags);
/* The ruleset generation id (NFT_MSG_GETGEN). */
int nft_nl_genid(struct nft_nl *nl, uint32_t *genid);
/* A cookie unique to this network namespace for the kernel's uptime (SO_NETNS_COOKIE, else inode).
 */
uint64_t nft_nl_netns_id(const struct nft_nl *nl);
/* A second socket subscribed to ruleset events (NFNLGRP_NFTABLES). */
int nft_nl_open_events(struct nft_nl *nl, struct diag *d);
/* Drains NEWGEN events: true when they chain first+1..*last, each committed by pid. */
bool nft_nl_events_ours(struct nft_nl *ev, uint32_t pid, uint32_t first, uint32_t *last);
/* Raises the socket buffers (SO_SNDBUFFORCE/SO_RCVBUFFORCE) to at least the given sizes. */
void nft_nl_grow_buffers(struct nft_nl *nl, size_t snd, size_t rcv);

/* One place cdnallow keeps its sets: its own table, or the admin's table for allow mode. */
struct nft_target {
	uint16_t family; /* NFPROTO_INET */
	char table[NFT_NAME_MAX];
	char chain[NFT_NAME_MAX]; /* admin chain holding our accept rules; "" in our own table */
	const char *set4, *set6, *ports;
	bool own;	/* table inet cdnallow */
	bool lockdown;	/* own table carries the prerouting drop chain */
	bool sets_only; /* mode sets: the admin's table holds our sets and no rule of ours */
	/* filled by nft_read_objects() */
	bool has_table, has_sets, ports_ok, rules_ok, has_chain, stale_chain;
	/* set by apply() before it creates objects: what a failed apply takes back out */
	bool made_table, made_sets;
	uint64_t handles[NFT_MAX_OUR_RULES]; /* our rules in the admin chain or lockdown chain */
	size_t nhandles;
	struct prefix_set *have; /* elements of set4+set6, aggregated (secondary targets) */
};

struct nft_handle {
	struct backend_cfg cfg;
	char nft_table[NFT_NAME_MAX * 2], nft_chain[NFT_NAME_MAX];
	struct nft_nl nl;
	struct nft_target tg[2]; /* tg[0] is the one read() reports */
	size_t ntg;
	bool stale_own;	     /* allow mode in the admin's table, yet table inet cdnallow exists */
	char ambiguous[512]; /* several drop chains found: apply() refuses, listing them */
	uint32_t genid;	     /* at read() */
	bool have_genid;
};

/* Set elements: dump into s (aggregated); add or delete s's prefixes in a batch. */
int nft_read_elems(struct nft_nl *nl, const struct nft_target *t, struct prefix_set *s,
		   struct diag *d);
int nft_table_exists(struct nft_nl *nl, uint16_t family, const char *table, bool *found);
/* Fills the has_/ok flags and handles of t; never changes anything. */
int nft_read_objects(struct nft_handle *h, struct nft_target *t, struct diag *d);
/* Ports held by a set (inet_service) compared with cfg's. */
int nft_read_ports(struct nft_nl *nl, const struct nft_target *t, const struct backend_cfg *cfg,
		   bool *equal, struct diag *d);

/* Rules carrying the comment "cdnallow", in dump (= chain) order. */
struct nft_rule_ref {
	uint16_t family;
	char table[NFT_NAME_MAX];
	char chain[NFT_NAME_MAX];
	uint64_t handle;
	size_t pos;   /* index among all rules of the dump */
	bool counter; /* has a counter expression; packets is its count */
	uint64_t packets;
	int set_family; /* 4 or 6: the rule looks up a set named …4 / …6; 0: none */
	bool inverted;	/* that lookup is negated (`saddr != @set`: lockdown's drop) */
};
struct nft_rule_list {
	struct nft_rule_ref v[NFT_MAX_OUR_RULES];
	size_t n;
	size_t total; /* all rules seen */
};
/* table/chain NULL: every table/chain of family (NFPROTO_UNSPEC: all families). */
int nft_list_our_rules(struct nft_nl *nl, uint16_t family, const char *table, const char *chain,
		       struct nft_rule_list *l);
bool nft_rule_is_ours(const void *udata, uint32_t len);
/*
 * The parsers behind the two dumps, on a buffer of netlink messages as the
 * kernel sends them (for the fuzzer): set elements of family af into s (not
 * aggregated), and the rules commented "cdnallow" into l. -EBADMSG on a
 * malformed message.
 */
int nft_parse_elem_dump(const void *buf, size_t len, int af, struct prefix_set *s);
int nft_parse_rule_dump(const void *buf, size_t len, struct nft_rule_list *l);

/* A chain as the dumps see it, for drop-policy discovery and audit. */
struct nft_chain_info {
	uint16_t family;
	char table[NFT_NAME_MAX];
	char name[NFT_NAME_MAX];
	bool base;
	uint32_t hooknum;
	int32_t prio;
	uint32_t policy;
};
int nft_list_chains(struct nft_nl *nl, struct nft_chain_info **out, size_t *n, struct diag *d);
/* Who owns a table/chain that is not the admin's own nftables ruleset; NULL when native. */
const char *nft_chain_owner(const struct nft_chain_info *c);
const char *nft_family_name(uint16_t family);
/*
 * Names read from the kernel may hold any byte; only what nft calls an
 * identifier may go into a libnftables command (a newline would start one).
 */
bool nft_name_valid(const char *s);
/* Copies a kernel name into a NFT_NAME_MAX buffer; "" when it does not fit. */
void nft_copy_name(char *dst, const char *src);

/* Where allow mode's accept goes (nft_discover.c); both read-only. */
void nft_target_admin(struct nft_target *t, const char *table, const char *chain);
/* [nftables] table/chain: well-formed, inet, and (unless flushing) existing. */
int nft_configured_target(struct nft_handle *h, struct nft_target *t, struct diag *d);
/* The one native input chain that drops the web ports (policy, final rule, jump). */
int nft_discover_target(struct nft_handle *h, struct nft_target *t, bool *found, struct diag *d);
/* A base input chain of family inet/ip/ip6 whose policy is drop. */
bool nft_is_input_drop(const struct nft_chain_info *c);

/* One kernel transaction of element changes, with a generation check. */
struct nft_batch;
struct nft_batch *nft_batch_new(size_t nelems, uint32_t genid);
void nft_batch_free(struct nft_batch *b);
int nft_batch_elems(struct nft_batch *b, const struct nft_target *t, const struct prefix_set *s,
		    bool del);
size_t nft_batch_count(const struct nft_batch *b);
/* Sends the batch and checks every ack; -ERESTART when the generation moved. */
int nft_batch_commit(struct nft_batch *b, struct nft_nl *nl, struct diag *d);

/* Table, sets, chains and rules, made once (libnftables); element updates never come here. */
int nft_objects_ensure_sets(struct nft_handle *h, struct diag *d);
int nft_objects_ensure_rules(struct nft_handle *h, struct diag *d);
/* Notes in made_table/made_sets what ensure_sets() is about to create. */
void nft_objects_mark_new(struct nft_handle *h);
/* Deletes, in one transaction, what the marked ensure_sets() created (a failed first sync). */
int nft_objects_remove_new(struct nft_handle *h, struct diag *d);
/* Deletes every cdnallow object (own table, our rules and sets elsewhere) in one transaction;
 * also the table mode sets created (STATE_DIR/nft.created) once nothing else is in it. */
int nft_objects_flush(struct nft_handle *h, struct diag *d);

/* STATE_DIR/nft.genid: the set we committed at a generation id, read from applied.rec. */
/* *sum: the applied.rec checksum of s on success (backend_state.applied_sum) */
int nft_cache_load(const struct nft_handle *h, uint32_t genid, struct prefix_set *s, uint64_t *sum);
/* sum: s's applied.rec checksum (plan.want_sum), 0 when not known */
void nft_cache_save(const struct nft_handle *h, uint32_t genid, const struct prefix_set *s,
		    uint64_t sum);
void nft_cache_drop(const struct nft_handle *h);
/*
 * The parser behind nft_cache_load: meta is nft.genid's text (modified), rec
 * applied.rec's bytes (NULL: missing). -ESTALE when the version, the
 * generation or the fingerprint differs or applied.rec holds another set,
 * -EBADMSG when applied.rec is damaged or its count is not the recorded one.
 */
int nft_cache_parse(char *meta, const char *want_fp, uint32_t genid, const char *rec, size_t len,
		    struct prefix_set *s);

#endif
