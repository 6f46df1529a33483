// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One nftables transaction of set-element changes: batch begin (with the
 * generation id read before, so a concurrent change aborts it with ERESTART),
 * NEWSETELEM/DELSETELEM messages of at most 64 KiB built with libnftnl's
 * element iterator, batch end, one send, every ack checked. Each CIDR is an
 * interval: a start element and, unless it reaches the top of the address
 * space, an end element at last + 1 flagged NFT_SET_ELEM_INTERVAL_END. It must
 * never split a plan over two transactions nor shell out to `nft`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "diag.h"
#include "nft_int.h"
#include "prefix_set.h"

/* Elements handed to libnftnl at a time: bounds its allocations, not the message size. */
#define CHUNK 4096
/* Worst case bytes of one element: list nest + key nest + 16-byte value + flags. */
#define ELEM_MAX 36
#define MSG_OVERHEAD 256
#define MSG_MAX (64u << 10)

struct msg_info {
	const struct nft_target *t;
	const char *set;
	size_t off; /* of the message in the batch buffer */
	int af;
	bool del;
};

struct nft_batch {
	char *buf;
	size_t limit;
	struct mnl_nlmsg_batch *mb;
	uint32_t seq_begin, seq;
	struct msg_info *msgs;
	size_t nmsgs, cap;
};

/*
 * The buffer is sized once for the worst case of nelems prefixes, so one plan
 * is always one transaction (libmnl wants twice the limit: a message may
 * overrun it before mnl_nlmsg_batch_next() notices).
 */
struct nft_batch *nft_batch_new(size_t nelems, uint32_t genid)
{
	struct nft_batch *b = calloc(1, sizeof(*b));
	size_t msgs = (2 * nelems / CHUNK + 16) * 3 + 2;
	struct nlmsghdr *nlh;

	if (!b)
		return NULL;
	b->limit = 2 * nelems * ELEM_MAX + msgs * MSG_OVERHEAD + 2 * MSG_MAX;
	b->buf = malloc(2 * b->limit);
	b->cap = msgs;
	b->msgs = calloc(b->cap, sizeof(*b->msgs));
	if (!b->buf || !b->msgs)
		goto fail;
	b->mb = mnl_nlmsg_batch_start(b->buf, b->limit);
	if (!b->mb)
		goto fail;
	b->seq_begin = b->seq = 1;
	nlh = nftnl_batch_begin(mnl_nlmsg_batch_current(b->mb), b->seq++);
	/* Linux >= 4.18 aborts the whole batch with ERESTART when the ruleset moved on. */
	if (genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	mnl_nlmsg_batch_next(b->mb);
	return b;
fail:
	nft_batch_free(b);
	return NULL;
}

void nft_batch_free(struct nft_batch *b)
{
	if (!b)
		return;
	if (b->mb)
		mnl_nlmsg_batch_stop(b->mb);
	free(b->buf);
	free(b->msgs);
	free(b);
}

size_t nft_batch_count(const struct nft_batch *b)
{
	return b->nmsgs;
}

static int add_elem(struct nftnl_set *s, const uint8_t *key, size_t len, bool end)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (!e)
		return -ENOMEM;
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)len);
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(s, e);
	return 0;
}

/* Emits the elements of s as many messages as the iterator needs (each ≤ 64 KiB). */
static int emit(struct nft_batch *b, const struct nft_target *t, const char *setname, int af,
		struct nftnl_set *s, bool del)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
	struct nlmsghdr *nlh;
	int more, ret = 0;

	if (!it)
		return -ENOMEM;
	do {
		if (b->nmsgs == b->cap) {
			ret = -ENOSPC;
			break;
		}
		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b->mb),
					    del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM,
					    t->family, (del ? 0 : NLM_F_CREATE) | NLM_F_ACK,
					    b->seq++);
		more = nftnl_set_elems_nlmsg_build_payload_iter(nlh, it);
		b->msgs[b->nmsgs++] = (struct msg_info){ .t = t,
							 .set = setname,
							 .off = (size_t)((char *)nlh - b->buf),
							 .af = af,
							 .del = del };
		if (!mnl_nlmsg_batch_next(b->mb)) {
			ret = -ENOSPC;
			break;
		}
	} while (more > 0);
	nftnl_set_elems_iter_destroy(it);
	return ret;
}

static int emit_family(struct nft_batch *b, const struct nft_target *t, const char *setname, int af,
		       const struct prefix_set *ps, bool del)
{
	struct nftnl_set *s = NULL;
	size_t inchunk = 0;
	uint8_t key[16];
	int ret = 0;

	for (size_t i = 0; i <= ps->n && ret == 0; i++) {
		const struct prefix *p = i < ps->n ? &ps->v[i] : NULL;

		if (p && p->family != af)
			continue;
		if (s && (!p || inchunk >= CHUNK)) {
			ret = emit(b, t, setname, af, s, del);
			if (s)
				nftnl_set_free(s);
			s = NULL;
			inchunk = 0;
		}
		if (!p || ret < 0)
			break;
		if (!s) {
			s = nftnl_set_alloc();
			if (!s)
				return -ENOMEM;
			nftnl_set_set_str(s, NFTNL_SET_TABLE, t->table);
			nftnl_set_set_str(s, NFTNL_SET_NAME, setname);
		}
		ret = add_elem(s, key, prefix_first_bytes(p, key), false);
		if (ret == 0 && prefix_next_bytes(p, key))
			ret = add_elem(s, key, af == AF_INET ? 4 : 16, true);
		inchunk++;
	}
	if (s)
		nftnl_set_free(s);
	return ret;
}

int nft_batch_elems(struct nft_batch *b, const struct nft_target *t, const struct prefix_set *s,
		    bool del)
{
	int ret = 0;

	if (t->set4)
		ret = emit_family(b, t, t->set4, AF_INET, s, del);
	if (ret == 0 && t->set6)
		ret = emit_family(b, t, t->set6, AF_INET6, s, del);
	return ret;
}

/* Names the element an extended ack points at ("198.51.100.0", "end 198.51.101.0"). */
static void describe_elem(const struct nft_batch *b, const struct msg_info *mi, uint32_t offs,
			  char *out, size_t size)
{
	const struct nlmsghdr *nlh = (const void *)(b->buf + mi->off);
	const struct nlattr *e = (const void *)(b->buf + mi->off + offs), *a, *k;
	char addr[INET6_ADDRSTRLEN] = "";
	bool end = false;

	out[0] = '\0';
	if (offs + sizeof(*e) > nlh->nlmsg_len || offs + e->nla_len > nlh->nlmsg_len)
		return;
	mnl_attr_for_each_nested (a, e) {
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_FLAGS)
			end = ntohl(mnl_attr_get_u32(a)) & NFT_SET_ELEM_INTERVAL_END;
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_KEY)
			continue;
		mnl_attr_for_each_nested (k, a) {
			if (mnl_attr_get_type(k) == NFTA_DATA_VALUE &&
			    mnl_attr_get_payload_len(k) == (mi->af == AF_INET ? 4u : 16u))
				inet_ntop(mi->af, mnl_attr_get_payload(k), addr, sizeof(addr));
		}
	}
	if (addr[0])
		snprintf(out, size, " (element %s%s)", end ? "ending before " : "", addr);
}

static const char *hint(int err)
{
	switch (err) {
	case EEXIST:
	case ENOTEMPTY:
		return ": the set already holds an overlapping interval";
	case ENOENT:
		return ": the set does not hold that element";
	default:
		return "";
	}
}

struct ack_state {
	const struct nft_batch *b;
	size_t acked;
	int err;
	bool restart;
};

static void take_error(struct ack_state *as, const struct nlmsghdr *nlh, struct diag *d)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	const struct msg_info *mi;
	const char *kmsg = NULL;
	char what[96] = "";
	uint32_t offs = 0;
	size_t idx;

	if (nlh->nlmsg_seq == as->b->seq_begin && e->error == -ERESTART) {
		as->restart = true;
		return;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each_payload((const void *)((const char *)e + sizeof(*e)),
					  nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(*e))
		{
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
				kmsg = mnl_attr_get_str(attr);
			else if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_OFFS)
				offs = mnl_attr_get_u32(attr);
		}
	}
	if (as->err)
		return;
	as->err = e->error;
	idx = nlh->nlmsg_seq - as->b->seq_begin - 1;
	if (idx >= as->b->nmsgs) {
		diag_err(d, "nftables transaction failed: %s", strerror(-e->error));
		return;
	}
	mi = &as->b->msgs[idx];
	if (offs)
		describe_elem(as->b, mi, offs, what, sizeof(what));
	diag_err(d, "%s set %s in table %s %s%s: %s%s%s%s", mi->del ? "deleting from" : "adding to",
		 mi->set, nft_family_name(mi->t->family), mi->t->table, what, strerror(-e->error),
		 hint(-e->error), kmsg ? " — kernel: " : "", kmsg ? kmsg : "");
}

static int read_acks(struct ack_state *as, struct nft_nl *nl, struct diag *d)
{
	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(nl->sock), nl->buf, nl->bufsize, MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)nl->buf;
		int len = (int)n;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != nl->portid)
				continue;
			if (((const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error == 0)
				as->acked++;
			else
				take_error(as, nlh, d);
		}
	}
}

int nft_batch_commit(struct nft_batch *b, struct nft_nl *nl, struct diag *d)
{
	struct ack_state as = { .b = b };
	size_t len;
	int ret;

	nftnl_batch_end(mnl_nlmsg_batch_current(b->mb), b->seq++);
	if (!mnl_nlmsg_batch_next(b->mb))
		return -ENOSPC;
	len = mnl_nlmsg_batch_size(b->mb);
	nft_nl_grow_buffers(nl, len + MSG_MAX, b->nmsgs * 2048 + (1u << 20));
	/* nfnetlink runs the whole batch inside this sendto(): every ack is queued when it returns.
	 */
	if (mnl_socket_sendto(nl->sock, mnl_nlmsg_batch_head(b->mb), len) < 0) {
		ret = -errno;
		diag_err(d, "sending a %zu-byte nftables batch: %s", len, strerror(errno));
		return ret;
	}
	ret = read_acks(&as, nl, d);
	if (ret < 0) {
		diag_err(d, "reading nftables acks: %s", strerror(-ret));
		return ret;
	}
	if (as.restart) {
		diag_err(d, "the ruleset changed since it was read");
		return -ERESTART;
	}
	if (as.err)
		return as.err;
	if (as.acked != b->nmsgs) {
		diag_err(d, "nftables acknowledged %zu of %zu messages", as.acked, b->nmsgs);
		return -EIO;
	}
	return 0;
}
