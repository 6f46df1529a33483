// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ipset netlink socket: sends the requests ipset_msg.c builds, keeps up
 * to a window of them unacknowledged, and matches every ACK to its request so
 * a refusal names the set and entry. Stops sending at the first refusal; the
 * caller decides what to undo.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netlink.h>

#include "diag.h"
#include "ipset_msg.h"
#include "ipset_nl.h"
#include "prefix.h"
#include "strbuf.h"

/* Entries per add: ~2300 IPv4 ones; the kernel takes a message up to its sndbuf. */
#define MSG_SIZE (64u << 10)
#define RCV_WANT (4u << 20)
#define WINDOW_MAX 16u
/* one reply holds at most one whole request (a refused entry) plus its header */
#define RBUF_SIZE (MSG_SIZE + 8192u)
/* the newest hash:net revision ipset 7.17 creates (bucketsize, bitmask) */
#define HASH_NET_REVISION 7

struct ipset_op {
	uint8_t cmd;
	bool absent_ok;
	const char *name, *name2;
	const struct prefix *v; /* add/del: the entries, for naming a refused one */
	size_t n;
};

struct ipset_nl {
	struct mnl_socket *sock;
	uint32_t portid, seq0;
	uint8_t proto, revision, kproto, kproto_min, krev, krev_min;
	size_t window, inflight;
	uint8_t *msg, *rbuf;
	struct ipset_op *ops;
	size_t nops, cap;
	int err;
	struct diag *d;
};

static void grow_buffers(struct ipset_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock), v = RCV_WANT, got = 0, one = 1;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	v = 2 * MSG_SIZE;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	/* plain ACKs stay small; a refused entry still comes back with its whole message */
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
	/* a refused entry's reply copies its whole request: room for a window of those */
	nl->window = (size_t)got / (2 * (MSG_SIZE + 4096));
	if (nl->window < 1)
		nl->window = 1;
	if (nl->window > WINDOW_MAX)
		nl->window = WINDOW_MAX;
}

static int push_op(struct ipset_nl *nl, const struct ipset_op *op)
{
	if (nl->nops == nl->cap) {
		size_t cap = nl->cap ? 2 * nl->cap : 16;
		struct ipset_op *v = realloc(nl->ops, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		nl->ops = v;
		nl->cap = cap;
	}
	nl->ops[nl->nops++] = *op;
	return 0;
}

static const char *verb(uint8_t cmd)
{
	switch (cmd) {
	case IPSET_CMD_PROTOCOL:
		return "protocol";
	case IPSET_CMD_TYPE:
		return "type";
	case IPSET_CMD_CREATE:
		return "create";
	case IPSET_CMD_DESTROY:
		return "destroy";
	case IPSET_CMD_FLUSH:
		return "flush";
	case IPSET_CMD_SWAP:
		return "swap";
	case IPSET_CMD_ADD:
		return "add";
	case IPSET_CMD_LIST:
		return "list";
	default:
		return "del";
	}
}

static void refused(struct ipset_nl *nl, const struct ipset_op *op, const struct ipset_reply *r)
{
	const char *why = ipset_strerror(r->error, op->cmd);
	char entry[PREFIX_STRLEN] = "";

	nl->err = ipset_errno(r->error);
	if (r->lineno && r->lineno <= op->n)
		prefix_format(&op->v[r->lineno - 1], entry, sizeof(entry));
	if (*entry)
		diag_err(nl->d, "ipset %s '%s' to set '%s': %s", verb(op->cmd), entry, op->name,
			 why);
	else if (op->name2)
		diag_err(nl->d, "ipset %s '%s' '%s': %s", verb(op->cmd), op->name, op->name2, why);
	else if (op->name)
		diag_err(nl->d, "ipset %s '%s': %s", verb(op->cmd), op->name, why);
	else
		diag_err(nl->d, "ipset %s: %s", verb(op->cmd), why);
}

static void take_reply(struct ipset_nl *nl, const struct ipset_reply *r)
{
	uint32_t i = r->seq - nl->seq0;
	const struct ipset_op *op;

	if (r->kind == IPSET_REPLY_DATA) {
		nl->kproto = r->protocol ? r->protocol : nl->kproto;
		nl->kproto_min = r->protocol_min ? r->protocol_min : nl->kproto_min;
		nl->krev = r->revision ? r->revision : nl->krev;
		nl->krev_min = r->revision_min ? r->revision_min : nl->krev_min;
		return;
	}
	if (r->kind != IPSET_REPLY_ACK || i >= nl->nops || !nl->inflight)
		return;
	nl->inflight--;
	op = &nl->ops[i];
	if (!r->error || nl->err || (op->absent_ok && r->error == -ENOENT))
		return;
	refused(nl, op, r);
}

static int read_replies(struct ipset_nl *nl)
{
	ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rbuf, RBUF_SIZE);
	const uint8_t *p = nl->rbuf;
	size_t len;
	struct ipset_reply r;
	int ret;

	if (n < 0) {
		ret = -errno;
		diag_err(nl->d, "ipset netlink: reading the kernel's replies: %s", strerror(errno));
		return ret;
	}
	len = (size_t)n;
	for (;;) {
		ret = ipset_reply_next(&p, &len, &r);
		if (ret <= 0)
			break;
		take_reply(nl, &r);
	}
	if (ret < 0)
		diag_err(nl->d, "ipset netlink: malformed reply from the kernel");
	return ret;
}

static int drain(struct ipset_nl *nl, size_t upto)
{
	while (nl->inflight > upto) {
		int ret = read_replies(nl);

		if (ret)
			return ret;
	}
	return 0;
}

static int send_msg(struct ipset_nl *nl, const struct nlmsghdr *nlh, const struct ipset_op *op)
{
	int ret;

	if (nl->err)
		return nl->err;
	ret = push_op(nl, op);
	if (!ret)
		ret = drain(nl, nl->window - 1);
	if (ret) {
		nl->err = ret;
		return ret;
	}
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		diag_err(nl->d, "ipset %s: sending to the kernel: %s", verb(op->cmd),
			 strerror(errno));
		nl->err = ret;
		return ret;
	}
	nl->inflight++;
	return nl->err;
}

static uint32_t next_seq(const struct ipset_nl *nl)
{
	return nl->seq0 + (uint32_t)nl->nops;
}

/* One receive of the dump with sequence number seq: each set's block into sb, *done at its end. */
static int read_dump(struct ipset_nl *nl, uint32_t seq, struct strbuf *sb, bool *done)
{
	ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rbuf, RBUF_SIZE);
	const uint8_t *p = nl->rbuf;
	size_t len = n < 0 ? 0 : (size_t)n;
	struct ipset_reply r;
	char block[1024];
	int ret;

	if (n < 0) {
		ret = -errno;
		diag_err(nl->d, "ipset list: reading the kernel's replies: %s", strerror(errno));
		return ret;
	}
	for (;;) {
		ret = ipset_reply_next(&p, &len, &r);
		if (ret <= 0)
			break;
		if (r.seq != seq)
			continue;
		if ((r.kind == IPSET_REPLY_ACK || r.kind == IPSET_REPLY_DONE) && r.error) {
			refused(nl, &nl->ops[seq - nl->seq0], &r);
			return nl->err;
		}
		*done |= r.kind == IPSET_REPLY_DONE;
		if (r.kind != IPSET_REPLY_DATA || !r.has_header)
			continue;
		/* a block too big for ipset_header_block's callers is left out: it is not ours */
		if (ipset_header_format(&r.header, block, sizeof(block)) > 0)
			strbuf_addf(sb, "%s%s\n", sb->len ? "\n" : "", block);
	}
	if (ret < 0)
		diag_err(nl->d, "ipset netlink: malformed reply from the kernel");
	return ret < 0 ? ret : sb->err;
}

int ipset_nl_list_headers(struct ipset_nl *nl, char **text)
{
	struct ipset_op op = { .cmd = IPSET_CMD_LIST };
	struct strbuf sb = { 0 };
	const struct nlmsghdr *nlh;
	uint32_t seq;
	bool done = false;
	int ret;

	*text = NULL;
	ret = ipset_nl_wait(nl);
	seq = next_seq(nl);
	if (!ret)
		ret = push_op(nl, &op);
	nlh = ipset_msg_list_headers(nl->msg, seq, nl->proto);
	if (!ret && mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		diag_err(nl->d, "ipset list: sending to the kernel: %s", strerror(errno));
	}
	/* a dump takes no ACK slot: its replies are read here, up to NLMSG_DONE */
	while (!ret && !done)
		ret = read_dump(nl, seq, &sb, &done);
	if (!ret) {
		*text = strbuf_detach(&sb, NULL);
		ret = *text ? 0 : -ENOMEM;
	}
	strbuf_release(&sb);
	if (ret && !nl->err)
		nl->err = ret;
	return ret;
}

int ipset_nl_wait(struct ipset_nl *nl)
{
	int ret = drain(nl, 0);

	if (ret && !nl->err)
		nl->err = ret;
	return nl->err;
}

static int handshake(struct ipset_nl *nl, bool with_type)
{
	struct ipset_op op = { .cmd = IPSET_CMD_PROTOCOL };
	int ret;

	ret = send_msg(nl, ipset_msg_protocol(nl->msg, next_seq(nl)), &op);
	if (!ret)
		ret = ipset_nl_wait(nl);
	if (ret)
		return ret;
	nl->proto = nl->kproto < IPSET_PROTOCOL ? nl->kproto : IPSET_PROTOCOL;
	if (nl->proto < IPSET_PROTOCOL_MIN) {
		diag_err(nl->d, "ipset: kernel speaks protocol %u, cdnallow needs %u to %u",
			 nl->kproto, IPSET_PROTOCOL_MIN, IPSET_PROTOCOL);
		nl->err = -EPROTONOSUPPORT;
		return nl->err;
	}
	if (!with_type)
		return 0;
	op.cmd = IPSET_CMD_TYPE;
	op.name = "hash:net";
	ret = send_msg(nl, ipset_msg_type(nl->msg, next_seq(nl), nl->proto), &op);
	if (!ret)
		ret = ipset_nl_wait(nl);
	if (ret)
		return ret;
	/* a newer kernel's revisions may mean options this code never sets: stay at ours */
	nl->revision = nl->krev < HASH_NET_REVISION ? nl->krev : HASH_NET_REVISION;
	if (nl->revision < nl->krev_min)
		nl->revision = nl->krev_min;
	return 0;
}

int ipset_nl_open(struct ipset_nl **out, bool with_type, struct diag *d)
{
	struct ipset_nl *nl = calloc(1, sizeof(*nl));
	int ret = -ENOMEM;

	*out = NULL;
	if (!nl)
		return -ENOMEM;
	nl->d = d;
	nl->msg = malloc(MSG_SIZE);
	nl->rbuf = malloc(RBUF_SIZE);
	if (!nl->msg || !nl->rbuf)
		goto out;
	nl->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		diag_err(d, "ipset netlink socket: %s", strerror(errno));
		goto out;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq0 = (uint32_t)time(NULL) << 8;
	grow_buffers(nl);
	ret = handshake(nl, with_type);
out:
	if (ret)
		ipset_nl_close(nl);
	else
		*out = nl;
	return ret;
}

void ipset_nl_set_diag(struct ipset_nl *nl, struct diag *d)
{
	nl->d = d;
}

void ipset_nl_close(struct ipset_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->msg);
	free(nl->rbuf);
	free(nl->ops);
	free(nl);
}

int ipset_nl_create(struct ipset_nl *nl, const struct ipset_create *c)
{
	struct ipset_op op = { .cmd = IPSET_CMD_CREATE, .name = c->name };
	struct ipset_create cc = *c;

	cc.revision = nl->revision;
	return send_msg(nl, ipset_msg_create(nl->msg, next_seq(nl), nl->proto, &cc), &op);
}

int ipset_nl_named(struct ipset_nl *nl, uint8_t cmd, const char *name, bool absent_ok)
{
	struct ipset_op op = { .cmd = cmd, .name = name, .absent_ok = absent_ok };

	return send_msg(nl, ipset_msg_named(nl->msg, cmd, next_seq(nl), nl->proto, name), &op);
}

int ipset_nl_swap(struct ipset_nl *nl, const char *from, const char *to)
{
	struct ipset_op op = { .cmd = IPSET_CMD_SWAP, .name = from, .name2 = to };

	return send_msg(nl, ipset_msg_swap(nl->msg, next_seq(nl), nl->proto, from, to), &op);
}

int ipset_nl_adt(struct ipset_nl *nl, const struct ipset_entries *a)
{
	struct ipset_op op = { .cmd = a->cmd, .name = a->name, .v = a->v, .n = a->n };
	struct ipset_entries aa = *a;
	struct nlmsghdr *nlh;
	size_t pos = 0;
	int ret = nl->err;

	aa.proto = nl->proto;
	while (!ret) {
		nlh = ipset_msg_adt(nl->msg, MSG_SIZE, next_seq(nl), &aa, &pos);
		if (!nlh)
			break;
		ret = send_msg(nl, nlh, &op);
	}
	return ret;
}
