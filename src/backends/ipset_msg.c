// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Builds the ipset netlink requests the way the kernel's ip_set_core.c parses
 * them (struct nfgenmsg, IPSET_ATTR_PROTOCOL first, nested and net-order flags
 * on the attributes that need them) and reads its replies. Never trusts a
 * length from a reply before checking it against the bytes received.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/ipset/ip_set_hash.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "ipset_msg.h"
#include "prefix.h"

#define TYPE_NAME "hash:net"

static struct nlmsghdr *begin(void *buf, uint8_t cmd, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_IPSET << 8) | cmd;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	/* the set's family travels in IPSET_ATTR_FAMILY; ip_set_core ignores this one */
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(0);
	return nlh;
}

static struct nlmsghdr *begin_proto(void *buf, uint8_t cmd, uint32_t seq, uint8_t proto)
{
	struct nlmsghdr *nlh = begin(buf, cmd, seq);

	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, proto);
	return nlh;
}

struct nlmsghdr *ipset_msg_protocol(void *buf, uint32_t seq)
{
	return begin_proto(buf, IPSET_CMD_PROTOCOL, seq, IPSET_PROTOCOL);
}

struct nlmsghdr *ipset_msg_type(void *buf, uint32_t seq, uint8_t proto)
{
	struct nlmsghdr *nlh = begin_proto(buf, IPSET_CMD_TYPE, seq, proto);

	mnl_attr_put_strz(nlh, IPSET_ATTR_TYPENAME, TYPE_NAME);
	mnl_attr_put_u8(nlh, IPSET_ATTR_FAMILY, NFPROTO_IPV4);
	return nlh;
}

struct nlmsghdr *ipset_msg_create(void *buf, uint32_t seq, uint8_t proto,
				  const struct ipset_create *c)
{
	struct nlmsghdr *nlh = begin_proto(buf, IPSET_CMD_CREATE, seq, proto);
	struct nlattr *data;

	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, c->name);
	mnl_attr_put_strz(nlh, IPSET_ATTR_TYPENAME, TYPE_NAME);
	mnl_attr_put_u8(nlh, IPSET_ATTR_REVISION, c->revision);
	mnl_attr_put_u8(nlh, IPSET_ATTR_FAMILY,
			c->family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
	/* ip_set_optattr_netorder() refuses a u32 without NLA_F_NET_BYTEORDER */
	mnl_attr_put_u32(nlh, IPSET_ATTR_HASHSIZE | NLA_F_NET_BYTEORDER, htonl(c->hashsize));
	mnl_attr_put_u32(nlh, IPSET_ATTR_MAXELEM | NLA_F_NET_BYTEORDER, htonl(c->maxelem));
	mnl_attr_nest_end(nlh, data);
	return nlh;
}

struct nlmsghdr *ipset_msg_named(void *buf, uint8_t cmd, uint32_t seq, uint8_t proto,
				 const char *name)
{
	struct nlmsghdr *nlh = begin_proto(buf, cmd, seq, proto);

	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, name);
	return nlh;
}

struct nlmsghdr *ipset_msg_swap(void *buf, uint32_t seq, uint8_t proto, const char *from,
				const char *to)
{
	struct nlmsghdr *nlh = ipset_msg_named(buf, IPSET_CMD_SWAP, seq, proto, from);

	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME2, to);
	return nlh;
}

struct nlmsghdr *ipset_msg_list_headers(void *buf, uint32_t seq, uint8_t proto)
{
	struct nlmsghdr *nlh = begin_proto(buf, IPSET_CMD_LIST, seq, proto);

	/* a dump is never ACKed (netlink_dump_start): NLMSG_DONE ends it */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	mnl_attr_put_u32(nlh, IPSET_ATTR_FLAGS | NLA_F_NET_BYTEORDER,
			 htonl(IPSET_FLAG_LIST_HEADER));
	return nlh;
}

size_t ipset_msg_entry_size(int family)
{
	size_t addr = family == AF_INET6 ? 16 : 4;

	/* DATA{ IP{ IPADDR }, CIDR, LINENO } */
	return 2 * MNL_ATTR_HDRLEN + MNL_ALIGN(MNL_ATTR_HDRLEN + addr) +
	       MNL_ALIGN(MNL_ATTR_HDRLEN + 1) + MNL_ALIGN(MNL_ATTR_HDRLEN + 4);
}

static void put_addr(struct nlmsghdr *nlh, const struct prefix *p)
{
	struct nlattr *ip = mnl_attr_nest_start(nlh, IPSET_ATTR_IP);

	if (p->family == AF_INET6) {
		uint8_t b[16];

		for (int i = 0; i < 8; i++) {
			b[i] = (uint8_t)(p->hi >> (56 - 8 * i));
			b[i + 8] = (uint8_t)(p->lo >> (56 - 8 * i));
		}
		mnl_attr_put(nlh, IPSET_ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER, sizeof(b), b);
	} else {
		mnl_attr_put_u32(nlh, IPSET_ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER,
				 htonl((uint32_t)(p->hi >> 32)));
	}
	mnl_attr_nest_end(nlh, ip);
}

struct nlmsghdr *ipset_msg_adt(void *buf, size_t size, uint32_t seq, const struct ipset_entries *a,
			       size_t *pos)
{
	size_t esize = ipset_msg_entry_size(a->family), i = *pos, added = 0;
	struct nlmsghdr *nlh;
	struct nlattr *adt;

	while (i < a->n && a->v[i].family != a->family)
		i++;
	*pos = i;
	if (i >= a->n || size < IPSET_MSG_SMALL + esize)
		return NULL;
	nlh = ipset_msg_named(buf, a->cmd, seq, a->proto, a->name);
	/* asks the kernel to say which entry it refused (ip_set_core.c call_ad) */
	mnl_attr_put_u32(nlh, IPSET_ATTR_LINENO, 0);
	adt = mnl_attr_nest_start(nlh, IPSET_ATTR_ADT);
	for (; i < a->n; i++) {
		const struct prefix *p = &a->v[i];
		struct nlattr *data;

		if (p->family != a->family)
			continue;
		if (nlh->nlmsg_len + esize > size)
			break;
		data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
		put_addr(nlh, p);
		mnl_attr_put_u8(nlh, IPSET_ATTR_CIDR, p->len);
		mnl_attr_put_u32(nlh, IPSET_ATTR_LINENO, (uint32_t)(i + 1));
		mnl_attr_nest_end(nlh, data);
		added++;
	}
	mnl_attr_nest_end(nlh, adt);
	*pos = i;
	return added ? nlh : NULL;
}

/* Top-level attributes after the nfgenmsg of msg (len bytes, checked): tb[type] or NULL. */
static void parse_attrs(const struct nlmsghdr *msg, size_t len, const struct nlattr **tb,
			unsigned max)
{
	size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (off + MNL_ATTR_HDRLEN <= len) {
		const struct nlattr *a = (const struct nlattr *)((const uint8_t *)msg + off);
		unsigned type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < MNL_ATTR_HDRLEN || a->nla_len > len - off)
			return;
		if (type <= max)
			tb[type] = a;
		off += MNL_ALIGN(a->nla_len);
	}
}

static bool get_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) < 1)
		return false;
	*v = mnl_attr_get_u8(a);
	return true;
}

static bool get_str(const struct nlattr *a, char *out, size_t size)
{
	size_t n = a ? mnl_attr_get_payload_len(a) : 0;
	const char *p = a ? mnl_attr_get_payload(a) : NULL;

	/* the kernel's names are never empty and end in NUL within the attribute */
	if (!n || !memchr(p, '\0', n) || !*p || strlen(p) >= size)
		return false;
	memcpy(out, p, strlen(p) + 1);
	return true;
}

/* DATA of a list reply: the set type's head() (ip_set_hash_gen.h) and ip_set_put_flags(). */
static void read_head(const struct nlattr *data, struct ipset_header *h)
{
	uint32_t *u32[IPSET_ATTR_CREATE_MAX + 1] = {
		[IPSET_ATTR_HASHSIZE] = &h->hashsize, [IPSET_ATTR_MAXELEM] = &h->maxelem,
		[IPSET_ATTR_TIMEOUT] = &h->timeout,   [IPSET_ATTR_CADT_FLAGS] = &h->cadt_flags,
		[IPSET_ATTR_INITVAL] = &h->initval,   [IPSET_ATTR_REFERENCES] = &h->references,
		[IPSET_ATTR_MEMSIZE] = &h->memsize,   [IPSET_ATTR_ELEMENTS] = &h->elements,
	};
	uint8_t *u8[IPSET_ATTR_CREATE_MAX + 1] = {
		[IPSET_ATTR_BUCKETSIZE] = &h->bucketsize, [IPSET_ATTR_NETMASK] = &h->netmask
	};
	const uint8_t *p = mnl_attr_get_payload(data);
	size_t len = mnl_attr_get_payload_len(data), off = 0;

	while (off + MNL_ATTR_HDRLEN <= len) {
		const struct nlattr *a = (const struct nlattr *)(p + off);
		unsigned type = a->nla_type & NLA_TYPE_MASK;
		size_t plen = a->nla_len - MNL_ATTR_HDRLEN;

		if (a->nla_len < MNL_ATTR_HDRLEN || a->nla_len > len - off)
			return;
		off += MNL_ALIGN(a->nla_len);
		if (type > IPSET_ATTR_CREATE_MAX)
			continue;
		if (u32[type] && plen >= 4)
			*u32[type] = ntohl(mnl_attr_get_u32(a));
		else if (u8[type] && plen >= 1)
			*u8[type] = mnl_attr_get_u8(a);
		else
			continue;
		h->have |= 1u << type;
	}
}

static void read_list(const struct nlattr *const *tb, struct ipset_reply *r)
{
	struct ipset_header *h = &r->header;

	if (!get_str(tb[IPSET_ATTR_SETNAME], h->name, sizeof(h->name)))
		return;
	r->has_header = true;
	get_str(tb[IPSET_ATTR_TYPENAME], h->type, sizeof(h->type));
	get_u8(tb[IPSET_ATTR_FAMILY], &h->family);
	get_u8(tb[IPSET_ATTR_REVISION], &h->revision);
	if (tb[IPSET_ATTR_DATA])
		read_head(tb[IPSET_ATTR_DATA], h);
}

static void read_ack(const struct nlmsghdr *nlh, struct ipset_reply *r)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t room = nlh->nlmsg_len - MNL_NLMSG_HDRLEN - sizeof(e->error);
	const struct nlattr *tb[IPSET_ATTR_CMD_MAX + 1];

	r->kind = IPSET_REPLY_ACK;
	r->error = e->error;
	/* an element refused by call_ad comes back whole, its LINENO patched */
	if (!e->error || e->msg.nlmsg_len > room || (e->msg.nlmsg_type >> 8) != NFNL_SUBSYS_IPSET)
		return;
	parse_attrs(&e->msg, e->msg.nlmsg_len, tb, IPSET_ATTR_CMD_MAX);
	if (tb[IPSET_ATTR_LINENO] && mnl_attr_get_payload_len(tb[IPSET_ATTR_LINENO]) >= 4)
		r->lineno = mnl_attr_get_u32(tb[IPSET_ATTR_LINENO]);
}

static void read_data(const struct nlmsghdr *nlh, struct ipset_reply *r)
{
	const struct nlattr *tb[IPSET_ATTR_CMD_MAX + 1];
	uint8_t cmd = nlh->nlmsg_type & 0xff;

	r->kind = IPSET_REPLY_DATA;
	parse_attrs(nlh, nlh->nlmsg_len, tb, IPSET_ATTR_CMD_MAX);
	if (cmd == IPSET_CMD_PROTOCOL) {
		get_u8(tb[IPSET_ATTR_PROTOCOL], &r->protocol);
		get_u8(tb[IPSET_ATTR_PROTOCOL_MIN], &r->protocol_min);
	} else if (cmd == IPSET_CMD_TYPE) {
		get_u8(tb[IPSET_ATTR_REVISION], &r->revision);
		get_u8(tb[IPSET_ATTR_REVISION_MIN], &r->revision_min);
	} else if (cmd == IPSET_CMD_LIST) {
		read_list(tb, r);
	}
}

int ipset_reply_next(const uint8_t **buf, size_t *len, struct ipset_reply *r)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)*buf;
	size_t step;

	memset(r, 0, sizeof(*r));
	if (!*len)
		return 0;
	if (*len < MNL_NLMSG_HDRLEN || nlh->nlmsg_len < MNL_NLMSG_HDRLEN || nlh->nlmsg_len > *len)
		return -EBADMSG;
	r->kind = IPSET_REPLY_OTHER;
	r->seq = nlh->nlmsg_seq;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr))
			return -EBADMSG;
		read_ack(nlh, r);
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		r->kind = IPSET_REPLY_DONE;
		if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(int))
			memcpy(&r->error, mnl_nlmsg_get_payload(nlh), sizeof(int));
	} else if ((nlh->nlmsg_type >> 8) == NFNL_SUBSYS_IPSET &&
		   nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg)) {
		read_data(nlh, r);
	}
	step = MNL_ALIGN(nlh->nlmsg_len);
	if (step > *len)
		step = *len;
	*buf += step;
	*len -= step;
	return 1;
}

static const char *family_name(uint8_t family)
{
	return family == NFPROTO_IPV4 ? "inet" : family == NFPROTO_IPV6 ? "inet6" : NULL;
}

/* The Header: line's words after the family, in the order ipset prints them. */
static void header_words(const struct ipset_header *h, char *buf, size_t size)
{
	static const struct {
		uint32_t flag;
		const char *word;
	} flags[] = { { IPSET_FLAG_WITH_COUNTERS, "counters" },
		      { IPSET_FLAG_WITH_COMMENT, "comment" },
		      { IPSET_FLAG_WITH_SKBINFO, "skbinfo" },
		      { IPSET_FLAG_WITH_FORCEADD, "forceadd" } };
	size_t n = 0;

#define WORD(...) n += (size_t)snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__)
	buf[0] = '\0';
	if (h->have & (1u << IPSET_ATTR_HASHSIZE))
		WORD(" hashsize %u", h->hashsize);
	if (h->have & (1u << IPSET_ATTR_MAXELEM))
		WORD(" maxelem %u", h->maxelem);
	if (h->have & (1u << IPSET_ATTR_NETMASK))
		WORD(" netmask %u", h->netmask);
	if (h->have & (1u << IPSET_ATTR_TIMEOUT))
		WORD(" timeout %u", h->timeout);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (h->cadt_flags & flags[i].flag)
			WORD(" %s", flags[i].word);
	if (h->have & (1u << IPSET_ATTR_BUCKETSIZE))
		WORD(" bucketsize %u", h->bucketsize);
	if (h->have & (1u << IPSET_ATTR_INITVAL))
		WORD(" initval 0x%08x", h->initval);
#undef WORD
}

int ipset_header_format(const struct ipset_header *h, char *buf, size_t size)
{
	const char *fam = family_name(h->family);
	char words[256];
	int n;

	header_words(h, words, sizeof(words));
	n = snprintf(buf, size,
		     "Name: %s\nType: %s\nRevision: %u\nHeader: %s%s%s\nSize in memory: %u\n"
		     "References: %u\nNumber of entries: %u",
		     h->name, h->type, h->revision, fam ? "family " : "", fam ? fam : "",
		     fam ? words : words + (*words == ' '), h->memsize, h->references, h->elements);
	if (n < 0 || (size_t)n >= size)
		return -E2BIG;
	return n;
}

int ipset_errno(int kernel_error)
{
	switch (-kernel_error) {
	case IPSET_ERR_PROTOCOL:
		return -EPROTO;
	case IPSET_ERR_FIND_TYPE:
		return -EOPNOTSUPP;
	case IPSET_ERR_MAX_SETS:
	case IPSET_ERR_HASH_FULL:
		return -ENOSPC;
	case IPSET_ERR_BUSY:
	case IPSET_ERR_REFERENCED:
		return -EBUSY;
	case IPSET_ERR_EXIST_SETNAME2:
		return -ENOENT;
	case IPSET_ERR_TYPE_MISMATCH:
	case IPSET_ERR_EXIST:
		return -EEXIST;
	}
	if (-kernel_error >= IPSET_ERR_PRIVATE)
		return -EINVAL;
	return kernel_error < 0 ? kernel_error : -EIO;
}

const char *ipset_strerror(int kernel_error, uint8_t cmd)
{
	switch (-kernel_error) {
	case IPSET_ERR_PROTOCOL:
		return "kernel refused the ipset protocol message";
	case IPSET_ERR_FIND_TYPE:
		return "kernel has no hash:net set type of a usable revision";
	case IPSET_ERR_MAX_SETS:
		return "kernel cannot create more sets";
	case IPSET_ERR_BUSY:
	case IPSET_ERR_REFERENCED:
		return "set is in use by a rule";
	case IPSET_ERR_EXIST_SETNAME2:
		return "second set does not exist";
	case IPSET_ERR_TYPE_MISMATCH:
		return "set exists with different type";
	case IPSET_ERR_EXIST:
		if (cmd == IPSET_CMD_DEL)
			return "element is not in the set";
		return cmd == IPSET_CMD_ADD ? "element is already in the set"
					    : "set already exists";
	case IPSET_ERR_INVALID_CIDR:
		return "invalid prefix length";
	case IPSET_ERR_INVALID_FAMILY:
		return "address of the wrong family";
	case IPSET_ERR_HASH_FULL:
		return "set is full (maxelem reached)";
	case IPSET_ERR_HASH_ELEM:
		return "null-valued element cannot be stored";
	case ENOENT:
		return "set does not exist";
	}
	if (-kernel_error >= IPSET_ERR_PRIVATE)
		return "kernel refused it (ipset error)";
	return kernel_error < 0 ? strerror(-kernel_error) : "kernel error";
}
