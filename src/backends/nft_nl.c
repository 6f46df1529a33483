// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The netfilter netlink socket of the nftables backend: open it, send one
 * request and run the replies through a callback, read the generation id,
 * list the chains of every table. Read-only: nothing here ever sends a
 * message that changes the ruleset (nft_batch.c does that).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "diag.h"
#include "nft_int.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* Dumps of a million-element set arrive faster with a big receive buffer. */
#define NL_RECV_SIZE (256u << 10)

int nft_nl_open(struct nft_nl *nl, struct diag *d)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->bufsize = NL_RECV_SIZE;
	nl->buf = malloc(nl->bufsize);
	if (!nl->buf)
		return -ENOMEM;
	nl->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl->sock) {
		int ret = -errno;

		diag_err(d, "netfilter netlink socket: %s", strerror(errno));
		nft_nl_close(nl);
		return ret;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int ret = -errno;

		diag_err(d, "binding the netfilter netlink socket: %s", strerror(errno));
		nft_nl_close(nl);
		return ret;
	}
	/* Errors then carry the offending attribute's offset, not a copy of a 64 KiB message. */
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL) << 8;
	return 0;
}

void nft_nl_close(struct nft_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}

struct nlmsghdr *nft_nl_request(struct nft_nl *nl, uint16_t type, uint16_t family, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(nl->buf, type, family, flags, ++nl->seq);
}

bool nft_nl_buf_valid(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	/* libmnl 1.0 compares nlmsg_len as an int: a length >= 2^31 passes its check */
	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step = NLMSG_ALIGN((size_t)nlh->nlmsg_len);

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
			return false;
		if (step >= len)
			return true;
		p += step;
		len -= step;
	}
	return len == 0;
}

int nft_nl_query(struct nft_nl *nl, struct nlmsghdr *req,
		 int (*cb)(const struct nlmsghdr *, void *), void *data)
{
	uint32_t seq = req->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, nl->bufsize);
		if (n < 0)
			return -errno;
		if (!nft_nl_buf_valid(nl->buf, (size_t)n))
			return -EBADMSG;
		ret = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
		if (ret < 0)
			return errno ? -errno : -EIO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_gen *gen = nftnl_gen_alloc();
	int ret = MNL_CB_ERROR;

	if (!gen)
		return MNL_CB_ERROR;
	if (nftnl_gen_nlmsg_parse(nlh, gen) == 0) {
		*(uint32_t *)data = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
		ret = MNL_CB_OK;
	}
	nftnl_gen_free(gen);
	return ret;
}

int nft_nl_genid(struct nft_nl *nl, uint32_t *genid)
{
	struct nlmsghdr *req = nft_nl_request(nl, NFT_MSG_GETGEN, NFPROTO_UNSPEC, NLM_F_ACK);

	*genid = 0;
	return nft_nl_query(nl, req, gen_cb, genid);
}

uint64_t nft_nl_netns_id(const struct nft_nl *nl)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	struct stat st;

	if (getsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) ==
		    0 &&
	    cookie)
		return cookie;
	/* Before Linux 5.14: the inode, which a later namespace may reuse. */
	if (stat("/proc/self/ns/net", &st) == 0)
		return (uint64_t)st.st_ino;
	return 0;
}

void nft_nl_grow_buffers(struct nft_nl *nl, size_t snd, size_t rcv)
{
	int fd = mnl_socket_get_fd(nl->sock);
	int v;

	v = snd > (size_t)INT32_MAX / 2 ? INT32_MAX / 2 : (int)snd;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	v = rcv > (size_t)INT32_MAX / 2 ? INT32_MAX / 2 : (int)rcv;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

struct chain_list {
	struct nft_chain_info *v;
	size_t n, cap;
	int err;
};

bool nft_name_valid(const char *s)
{
	if (!s || !*s || strlen(s) >= NFT_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* A name too long for dst becomes "": a truncated copy would name another object. */
void nft_copy_name(char *dst, const char *src)
{
	if (!src || strlen(src) >= NFT_NAME_MAX)
		src = "";
	snprintf(dst, NFT_NAME_MAX, "%s", src);
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_list *l = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nft_chain_info *ci;

	if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		if (c)
			nftnl_chain_free(c);
		l->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct nft_chain_info *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			if (c)
				nftnl_chain_free(c);
			l->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		l->v = v;
		l->cap = cap;
	}
	ci = &l->v[l->n++];
	memset(ci, 0, sizeof(*ci));
	ci->family = (uint16_t)nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	nft_copy_name(ci->table, nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	nft_copy_name(ci->name, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	ci->base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	if (ci->base) {
		ci->hooknum = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		ci->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		ci->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY)
				     ? nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY)
				     : NF_ACCEPT;
	}
	if (c)
		nftnl_chain_free(c);
	return MNL_CB_OK;
}

int nft_list_chains(struct nft_nl *nl, struct nft_chain_info **out, size_t *n, struct diag *d)
{
	struct nlmsghdr *req = nft_nl_request(nl, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NLM_F_DUMP);
	struct chain_list l = { 0 };
	int ret = nft_nl_query(nl, req, chain_cb, &l);

	if (ret < 0 && l.err)
		ret = l.err;
	if (ret < 0) {
		diag_err(d, "listing nftables chains: %s", strerror(-ret));
		free(l.v);
		return ret;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

const char *nft_family_name(uint16_t family)
{
	switch (family) {
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_NETDEV:
		return "netdev";
	default:
		return "unknown";
	}
}

static bool has_lower(const char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			return true;
	return false;
}

/*
 * iptables-nft keeps iptables' table names (family ip/ip6/arp/bridge) and its
 * upper-case built-in chains (INPUT); a hand-written `table ip filter` almost
 * always uses lower-case chain names, which is how the two are told apart.
 * ufw and Docker (before its native nftables mode) sit on iptables-nft too.
 */
const char *nft_chain_owner(const struct nft_chain_info *c)
{
	static const char *const xt_tables[] = { "filter", "nat", "mangle", "raw", "security" };

	if (c->family == NFPROTO_INET && !strcmp(c->table, NFT_OWN_TABLE))
		return "cdnallow";
	if (!strcmp(c->table, "firewalld"))
		return "firewalld";
	if (!strncmp(c->table, "docker", 6))
		return "docker";
	if (c->family == NFPROTO_INET || c->family == NFPROTO_NETDEV)
		return NULL;
	for (size_t i = 0; i < sizeof(xt_tables) / sizeof(xt_tables[0]); i++)
		if (!strcmp(c->table, xt_tables[i]) && !strncmp(c->name, "ufw", 3))
			return "ufw";
		else if (!strcmp(c->table, xt_tables[i]) && !has_lower(c->name))
			return "iptables-nft";
	return NULL;
}

int nft_nl_open_events(struct nft_nl *nl, struct diag *d)
{
	int ret = nft_nl_open(nl, d);
	unsigned int group = NFNLGRP_NFTABLES;

	if (ret < 0)
		return ret;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		ret = -errno;
		nft_nl_close(nl);
	}
	return ret;
}

/*
 * Drains the NEWGEN events queued on ev. True when they form an unbroken chain
 * from first to *last, every one committed by pid; *last is the final id.
 */
bool nft_nl_events_ours(struct nft_nl *ev, uint32_t pid, uint32_t first, uint32_t *last)
{
	uint32_t expect = first;
	bool ok = true;

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(ev->sock), ev->buf, ev->bufsize, MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)ev->buf;
		int len = (int)n;

		if (n < 0) {
			ok = ok && (errno == EAGAIN || errno == EWOULDBLOCK);
			break;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlattr *a;
			uint32_t id = 0, who = 0;

			if (nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
				continue;
			mnl_attr_for_each (a, nlh, sizeof(struct nfgenmsg)) {
				if (mnl_attr_get_type(a) == NFTA_GEN_ID)
					id = ntohl(mnl_attr_get_u32(a));
				else if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID)
					who = ntohl(mnl_attr_get_u32(a));
			}
			ok = ok && id == expect + 1 && who == pid;
			expect = id;
		}
	}
	*last = expect;
	return ok;
}
