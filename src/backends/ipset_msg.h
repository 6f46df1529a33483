/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ipset netlink messages cdnallow sends (protocol handshake, type query,
 * create hash:net, add/del many entries per message, swap, destroy, flush) and
 * the reader of the kernel's replies. Pure: builds into and reads from buffers,
 * never touches a socket (ipset_nl.c does).
 */
#ifndef CDNALLOW_IPSET_MSG_H
#define CDNALLOW_IPSET_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;
struct prefix;

/* Room for any request but an add/del of many entries. */
#define IPSET_MSG_SMALL 256u

struct ipset_create {
	const char *name;
	int family; /* AF_INET or AF_INET6 */
	uint8_t revision;
	uint32_t hashsize, maxelem;
};

/* Every builder writes one request with NLM_F_REQUEST|NLM_F_ACK into buf. */
struct nlmsghdr *ipset_msg_protocol(void *buf, uint32_t seq);
struct nlmsghdr *ipset_msg_type(void *buf, uint32_t seq, uint8_t proto);
struct nlmsghdr *ipset_msg_create(void *buf, uint32_t seq, uint8_t proto,
				  const struct ipset_create *c);
/* cmd: IPSET_CMD_DESTROY or IPSET_CMD_FLUSH */
struct nlmsghdr *ipset_msg_named(void *buf, uint8_t cmd, uint32_t seq, uint8_t proto,
				 const char *name);
struct nlmsghdr *ipset_msg_swap(void *buf, uint32_t seq, uint8_t proto, const char *from,
				const char *to);

/*
 * A header-only IPSET_CMD_LIST of every set (NLM_F_DUMP, no ACK: the kernel
 * answers with one message per set, then NLMSG_DONE). The same data as `ipset
 * list -t`, the random initval included, which IPSET_CMD_HEADER leaves out.
 */
struct nlmsghdr *ipset_msg_list_headers(void *buf, uint32_t seq, uint8_t proto);

/* An IPSET_CMD_ADD or IPSET_CMD_DEL of entries of one family into set name. */
struct ipset_entries {
	uint8_t cmd;
	uint8_t proto;
	const char *name;
	int family;
	const struct prefix *v; /* entries of other families are skipped */
	size_t n;
};
/*
 * Builds one message of at most size bytes holding the entries of a from
 * v[*pos] on, as many as fit, and advances *pos past them. Each entry carries
 * its index in v plus one as its line number, which the kernel returns when it
 * refuses that entry. NULL when no entry is left (or size is too small).
 */
struct nlmsghdr *ipset_msg_adt(void *buf, size_t size, uint32_t seq, const struct ipset_entries *a,
			       size_t *pos);
/* Bytes one entry of family takes in an add/del message. */
size_t ipset_msg_entry_size(int family);

enum ipset_reply_kind { IPSET_REPLY_ACK, IPSET_REPLY_DATA, IPSET_REPLY_DONE, IPSET_REPLY_OTHER };

/* One set of a header-only list; have: bit 1 << IPSET_ATTR_* of each DATA attribute present. */
struct ipset_header {
	char name[32], type[32];
	uint8_t family, revision; /* NFPROTO_IPV4, NFPROTO_IPV6, ... */
	uint8_t bucketsize, netmask;
	uint32_t hashsize, maxelem, timeout, cadt_flags, initval;
	uint32_t references, memsize, elements;
	uint32_t have;
};

/* One message of the kernel's replies. */
struct ipset_reply {
	enum ipset_reply_kind kind;
	uint32_t seq;
	int error; /* ACK: 0, or the kernel's negative code (-ENOENT, -IPSET_ERR_EXIST, ...) */
	uint32_t lineno; /* ACK of an add/del: the refused entry's line number, 0 when none */
	uint8_t protocol, protocol_min; /* DATA of the handshake, 0 when absent */
	uint8_t revision, revision_min; /* DATA of the type query, 0 when absent */
	bool has_header;		/* DATA of a list, with at least the set's name */
	struct ipset_header header;
};
/*
 * Reads the message at *buf (len bytes left) into r and steps past it: 1 when
 * one was read, 0 at the end, -EBADMSG when the bytes are not netlink messages.
 * NLMSG_DONE is IPSET_REPLY_DONE, error the dump's code (0 when it carries none).
 */
int ipset_reply_next(const uint8_t **buf, size_t *len, struct ipset_reply *r);

/*
 * h as `ipset list -t` (ipset 7.17) prints a hash set's block, without the
 * final newline: Name, Type, Revision, Header (family, hashsize, maxelem,
 * netmask, timeout, counters, comment, skbinfo, forceadd, bucketsize, initval
 * where present), Size in memory, References, Number of entries. Returns the
 * length, or -E2BIG when it does not fit in size.
 */
int ipset_header_format(const struct ipset_header *h, char *buf, size_t size);

/* The kernel's code as an errno cdnallow returns (-EEXIST, -ENOSPC, -EBUSY, ...). */
int ipset_errno(int kernel_error);
/* Words for the kernel's code, as ipset(8) would say them. */
const char *ipset_strerror(int kernel_error, uint8_t cmd);

#endif
