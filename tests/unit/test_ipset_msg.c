// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ipset netlink messages of src/backends/ipset_msg.c, checked attribute by
 * attribute against what the kernel's ip_set_core.c expects (nfgenmsg,
 * protocol first, NLA_F_NESTED on DATA/ADT/IP, NLA_F_NET_BYTEORDER on the
 * addresses, hashsize and maxelem): create, swap, add messages split at the
 * size boundary with every entry once and in order, IPv6 addresses, and the
 * reply reader (plain ACK, a refused entry's line number, a capped error,
 * the handshake's data, malformed input).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/ipset/ip_set_hash.h>
#include <linux/netfilter/nfnetlink.h>

#include "../../src/backends/ipset_msg.h"
#include "prefix.h"

#define MAXA 32

static uint8_t buf[1 << 17];

/* tb[type]: the last attribute of that type in [start, start + len) */
static void attrs(const void *start, size_t len, const struct nlattr **tb)
{
	const struct nlattr *attr;

	memset(tb, 0, MAXA * sizeof(*tb));
	mnl_attr_for_each_payload(start, len)
	{
		assert_true(mnl_attr_get_type(attr) < MAXA);
		tb[mnl_attr_get_type(attr)] = attr;
	}
}

static void msg_attrs(const struct nlmsghdr *nlh, uint8_t cmd, const struct nlattr **tb)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *first = mnl_nlmsg_get_payload_offset(nlh, sizeof(*nfg));

	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_IPSET << 8) | cmd);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nfg->version, NFNETLINK_V0);
	/* ip_set_core checks the protocol before anything else: send it first */
	assert_int_equal(first->nla_type, IPSET_ATTR_PROTOCOL);
	attrs(first, nlh->nlmsg_len - ((const uint8_t *)first - (const uint8_t *)nlh), tb);
}

static void test_create(void **state)
{
	struct ipset_create c = { .name = "cdnallow6-tmp",
				  .family = AF_INET6,
				  .revision = 7,
				  .hashsize = 4096,
				  .maxelem = 131072 };
	const struct nlattr *tb[MAXA], *data[MAXA];
	struct nlmsghdr *nlh;

	(void)state;
	nlh = ipset_msg_create(buf, 9, 7, &c);
	assert_int_equal(nlh->nlmsg_seq, 9);
	msg_attrs(nlh, IPSET_CMD_CREATE, tb);
	assert_int_equal(mnl_attr_get_u8(tb[IPSET_ATTR_PROTOCOL]), 7);
	assert_string_equal(mnl_attr_get_str(tb[IPSET_ATTR_SETNAME]), "cdnallow6-tmp");
	assert_string_equal(mnl_attr_get_str(tb[IPSET_ATTR_TYPENAME]), "hash:net");
	assert_int_equal(mnl_attr_get_u8(tb[IPSET_ATTR_REVISION]), 7);
	assert_int_equal(mnl_attr_get_u8(tb[IPSET_ATTR_FAMILY]), 10 /* NFPROTO_IPV6 */);
	assert_true(tb[IPSET_ATTR_DATA]->nla_type & NLA_F_NESTED);
	attrs(mnl_attr_get_payload(tb[IPSET_ATTR_DATA]),
	      mnl_attr_get_payload_len(tb[IPSET_ATTR_DATA]), data);
	assert_true(data[IPSET_ATTR_HASHSIZE]->nla_type & NLA_F_NET_BYTEORDER);
	assert_true(data[IPSET_ATTR_MAXELEM]->nla_type & NLA_F_NET_BYTEORDER);
	assert_int_equal(ntohl(mnl_attr_get_u32(data[IPSET_ATTR_HASHSIZE])), 4096);
	assert_int_equal(ntohl(mnl_attr_get_u32(data[IPSET_ATTR_MAXELEM])), 131072);
}

static void test_swap_destroy(void **state)
{
	const struct nlattr *tb[MAXA];

	(void)state;
	msg_attrs(ipset_msg_swap(buf, 1, 6, "a-tmp", "a"), IPSET_CMD_SWAP, tb);
	assert_int_equal(mnl_attr_get_u8(tb[IPSET_ATTR_PROTOCOL]), 6);
	assert_string_equal(mnl_attr_get_str(tb[IPSET_ATTR_SETNAME]), "a-tmp");
	assert_string_equal(mnl_attr_get_str(tb[IPSET_ATTR_SETNAME2]), "a");
	msg_attrs(ipset_msg_named(buf, IPSET_CMD_DESTROY, 2, 7, "a"), IPSET_CMD_DESTROY, tb);
	assert_string_equal(mnl_attr_get_str(tb[IPSET_ATTR_SETNAME]), "a");
	assert_null(tb[IPSET_ATTR_SETNAME2]);
}

/* Checks one add message; returns how many entries it held, *next the next index expected. */
static size_t check_adt(const struct nlmsghdr *nlh, const struct prefix *v, int family,
			size_t *next)
{
	const struct nlattr *tb[MAXA], *a;
	size_t count = 0;

	msg_attrs(nlh, IPSET_CMD_ADD, tb);
	assert_non_null(tb[IPSET_ATTR_LINENO]); /* asks for the refused entry's number */
	assert_true(tb[IPSET_ATTR_ADT]->nla_type & NLA_F_NESTED);
	mnl_attr_for_each_nested (a, tb[IPSET_ATTR_ADT]) {
		const struct nlattr *d[MAXA], *ip[MAXA];
		uint32_t line;

		assert_int_equal(a->nla_type, IPSET_ATTR_DATA | NLA_F_NESTED);
		attrs(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a), d);
		line = mnl_attr_get_u32(d[IPSET_ATTR_LINENO]);
		while (v[*next].family != family)
			(*next)++;
		assert_int_equal(line, *next + 1);
		assert_int_equal(mnl_attr_get_u8(d[IPSET_ATTR_CIDR]), v[*next].len);
		assert_int_equal(d[IPSET_ATTR_IP]->nla_type, IPSET_ATTR_IP | NLA_F_NESTED);
		assert_int_equal(mnl_attr_get_payload_len(a) + MNL_ATTR_HDRLEN,
				 ipset_msg_entry_size(family));
		attrs(mnl_attr_get_payload(d[IPSET_ATTR_IP]),
		      mnl_attr_get_payload_len(d[IPSET_ATTR_IP]), ip);
		if (family == AF_INET) {
			assert_true(ip[IPSET_ATTR_IPADDR_IPV4]->nla_type & NLA_F_NET_BYTEORDER);
			assert_int_equal(ntohl(mnl_attr_get_u32(ip[IPSET_ATTR_IPADDR_IPV4])),
					 (uint32_t)(v[*next].hi >> 32));
		} else {
			char text[PREFIX_STRLEN], want[PREFIX_STRLEN];

			assert_int_equal(mnl_attr_get_payload_len(ip[IPSET_ATTR_IPADDR_IPV6]), 16);
			assert_non_null(inet_ntop(AF_INET6,
						  mnl_attr_get_payload(ip[IPSET_ATTR_IPADDR_IPV6]),
						  text, sizeof(text)));
			prefix_format(&v[*next], want, sizeof(want));
			*strchr(want, '/') = '\0';
			assert_string_equal(text, want);
		}
		(*next)++;
		count++;
	}
	return count;
}

static void fill(struct prefix *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char s[64];

		if (i % 3 == 2)
			snprintf(s, sizeof(s), "2001:db8:%zx::%zx/%zu", i, i, 64 + i % 65);
		else
			snprintf(s, sizeof(s), "20.%zu.%zu.0/%zu", i / 256 % 256, i % 256,
				 24 + i % 9);
		assert_int_equal(prefix_parse(s, strlen(s), &v[i], NULL), 0);
	}
}

static void split(int family, size_t size)
{
	enum { N = 1000 };
	struct prefix v[N];
	struct ipset_entries a = { .cmd = IPSET_CMD_ADD,
				   .proto = 7,
				   .name = "cdnallow4-tmp",
				   .family = family,
				   .v = v,
				   .n = N };
	size_t pos = 0, next = 0, total = 0, want = 0;
	struct nlmsghdr *nlh;

	fill(v, N);
	for (size_t i = 0; i < N; i++)
		want += v[i].family == family;
	for (;;) {
		nlh = ipset_msg_adt(buf, size, 1, &a, &pos);
		if (!nlh)
			break;
		assert_true(nlh->nlmsg_len <= size);
		total += check_adt(nlh, v, family, &next);
		/* full: one more entry would not have fit */
		if (pos < N)
			assert_true(nlh->nlmsg_len + ipset_msg_entry_size(family) > size);
	}
	assert_int_equal(total, want);
	assert_int_equal(pos, N);
}

static void test_adt_split_v4(void **state)
{
	(void)state;
	split(AF_INET, IPSET_MSG_SMALL + ipset_msg_entry_size(AF_INET));
	split(AF_INET, 1000);
	split(AF_INET, 4096 + 3);
	split(AF_INET, sizeof(buf));
}

static void test_adt_split_v6(void **state)
{
	(void)state;
	split(AF_INET6, 777);
	split(AF_INET6, sizeof(buf));
}

static void test_adt_too_small(void **state)
{
	struct prefix v[2];
	struct ipset_entries a = {
		.cmd = IPSET_CMD_ADD, .name = "x", .family = AF_INET, .v = v, .n = 2
	};
	size_t pos = 0;

	(void)state;
	fill(v, 2);
	assert_null(ipset_msg_adt(buf, IPSET_MSG_SMALL, 1, &a, &pos));
	a.family = AF_INET6; /* none of that family */
	assert_null(ipset_msg_adt(buf, sizeof(buf), 1, &a, &pos));
	assert_int_equal(pos, 2);
}

/* An NLMSG_ERROR as the kernel's call_ad sends it: the request copied, LINENO patched. */
static size_t refusal(uint8_t *out, uint32_t seq, int error, uint32_t line, bool capped)
{
	struct prefix v[3];
	struct ipset_entries a = {
		.cmd = IPSET_CMD_ADD, .proto = 7, .name = "s", .family = AF_INET, .v = v, .n = 3
	};
	size_t pos = 0;
	struct nlmsghdr *req, *nlh = mnl_nlmsg_put_header(out);
	struct nlmsgerr *e;
	const struct nlattr *tb[MAXA];

	fill(v, 3);
	req = ipset_msg_adt(buf, sizeof(buf), seq, &a, &pos);
	msg_attrs(req, IPSET_CMD_ADD, tb);
	memcpy(mnl_attr_get_payload(tb[IPSET_ATTR_LINENO]), &line, 4);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(int) + (capped ? sizeof(*req) : req->nlmsg_len));
	e->error = error;
	memcpy(&e->msg, req, capped ? sizeof(*req) : req->nlmsg_len);
	return nlh->nlmsg_len;
}

static void test_reply_refusal(void **state)
{
	uint8_t in[4096];
	const uint8_t *p = in;
	size_t len, n;
	struct ipset_reply r;

	(void)state;
	len = refusal(in, 77, -IPSET_ERR_HASH_FULL, 2, false);
	n = refusal(in + len, 78, -ENOENT, 3, true);
	len += n;
	assert_int_equal(ipset_reply_next(&p, &len, &r), 1);
	assert_int_equal(r.kind, IPSET_REPLY_ACK);
	assert_int_equal(r.seq, 77);
	assert_int_equal(r.error, -IPSET_ERR_HASH_FULL);
	assert_int_equal(r.lineno, 2);
	assert_int_equal(ipset_reply_next(&p, &len, &r), 1);
	assert_int_equal(r.seq, 78);
	assert_int_equal(r.error, -ENOENT);
	assert_int_equal(r.lineno, 0); /* capped: only the header came back */
	assert_int_equal(ipset_reply_next(&p, &len, &r), 0);
}

static void test_reply_data_and_bad(void **state)
{
	uint8_t in[256];
	const uint8_t *p = in;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(in);
	struct ipset_reply r;
	size_t len;

	(void)state;
	nlh->nlmsg_type = (NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_PROTOCOL;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, 7);
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL_MIN, 6);
	len = nlh->nlmsg_len;
	assert_int_equal(ipset_reply_next(&p, &len, &r), 1);
	assert_int_equal(r.kind, IPSET_REPLY_DATA);
	assert_int_equal(r.protocol, 7);
	assert_int_equal(r.protocol_min, 6);
	/* a length past the bytes received */
	p = in;
	len = nlh->nlmsg_len - 1;
	assert_int_equal(ipset_reply_next(&p, &len, &r), -EBADMSG);
	p = in;
	len = 8;
	assert_int_equal(ipset_reply_next(&p, &len, &r), -EBADMSG);
}

static void test_list_request(void **state)
{
	struct nlmsghdr *nlh = ipset_msg_list_headers(buf, 9, 7);
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *first = mnl_nlmsg_get_payload_offset(nlh, sizeof(*nfg));
	const struct nlattr *tb[MAXA];

	(void)state;
	assert_int_equal(nlh->nlmsg_type, (NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_LIST);
	/* a dump: NLM_F_ACK would never be answered (netlink_dump_start) */
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_seq, 9);
	assert_int_equal(first->nla_type, IPSET_ATTR_PROTOCOL);
	attrs(first, nlh->nlmsg_len - ((const uint8_t *)first - (const uint8_t *)nlh), tb);
	assert_int_equal(mnl_attr_get_u8(tb[IPSET_ATTR_PROTOCOL]), 7);
	/* no name: every set; dump_init reads the flags with ip_set_get_h32 (network order) */
	assert_null(tb[IPSET_ATTR_SETNAME]);
	assert_non_null(tb[IPSET_ATTR_FLAGS]);
	assert_true(tb[IPSET_ATTR_FLAGS]->nla_type & NLA_F_NET_BYTEORDER);
	assert_int_equal(ntohl(mnl_attr_get_u32(tb[IPSET_ATTR_FLAGS])), IPSET_FLAG_LIST_HEADER);
}

/* One set's message as ip_set_dump_do and the hash types' head() write it. */
static size_t list_msg(uint8_t *out, uint32_t seq, const char *name, uint8_t family,
		       uint32_t cadt_flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(out);
	struct nlattr *data;

	nlh->nlmsg_type = (NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_LIST;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, 7);
	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, name);
	mnl_attr_put_strz(nlh, IPSET_ATTR_TYPENAME, "hash:net");
	mnl_attr_put_u8(nlh, IPSET_ATTR_FAMILY, family);
	mnl_attr_put_u8(nlh, IPSET_ATTR_REVISION, 7);
	mnl_attr_put_u16(nlh, IPSET_ATTR_INDEX | NLA_F_NET_BYTEORDER, htons(3));
	data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
	mnl_attr_put_u32(nlh, IPSET_ATTR_HASHSIZE | NLA_F_NET_BYTEORDER, htonl(1024));
	mnl_attr_put_u32(nlh, IPSET_ATTR_MAXELEM | NLA_F_NET_BYTEORDER, htonl(65536));
	mnl_attr_put_u8(nlh, IPSET_ATTR_BUCKETSIZE, 12);
	mnl_attr_put_u32(nlh, IPSET_ATTR_INITVAL | NLA_F_NET_BYTEORDER, htonl(0xabcd));
	mnl_attr_put_u32(nlh, IPSET_ATTR_REFERENCES | NLA_F_NET_BYTEORDER, htonl(1));
	mnl_attr_put_u32(nlh, IPSET_ATTR_MEMSIZE | NLA_F_NET_BYTEORDER, htonl(552));
	mnl_attr_put_u32(nlh, IPSET_ATTR_ELEMENTS | NLA_F_NET_BYTEORDER, htonl(2));
	if (cadt_flags) {
		mnl_attr_put_u32(nlh, IPSET_ATTR_TIMEOUT | NLA_F_NET_BYTEORDER, htonl(30));
		mnl_attr_put_u32(nlh, IPSET_ATTR_CADT_FLAGS | NLA_F_NET_BYTEORDER,
				 htonl(cadt_flags));
	}
	mnl_attr_nest_end(nlh, data);
	return nlh->nlmsg_len;
}

static size_t done_msg(uint8_t *out, uint32_t seq, int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(out);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(error)), &error, sizeof(error));
	return nlh->nlmsg_len;
}

static void test_list_reply(void **state)
{
	uint8_t in[2048];
	const uint8_t *p = in;
	size_t len = 0;
	struct ipset_reply r;
	char text[512];

	(void)state;
	len += list_msg(in + len, 5, "cdnallow4", NFPROTO_IPV4, 0);
	len += list_msg(in + len, 5, "other", NFPROTO_IPV6,
			IPSET_FLAG_WITH_COUNTERS | IPSET_FLAG_WITH_COMMENT);
	len += done_msg(in + len, 5, 0);
	assert_int_equal(ipset_reply_next(&p, &len, &r), 1);
	assert_int_equal(r.kind, IPSET_REPLY_DATA);
	assert_true(r.has_header);
	assert_int_equal(r.seq, 5);
	/* byte for byte what `ipset list -t cdnallow4` (7.17) prints; initval keeps 8 digits */
	assert_int_equal(ipset_header_format(&r.header, text, sizeof(text)), 178);
	assert_string_equal(text, "Name: cdnallow4\nType: hash:net\nRevision: 7\n"
				  "Header: family inet hashsize 1024 maxelem 65536 bucketsize 12 "
				  "initval 0x0000abcd\nSize in memory: 552\nReferences: 1\n"
				  "Number of entries: 2");
	assert_int_equal(ipset_header_format(&r.header, text, 178), -E2BIG);
	assert_int_equal(ipset_reply_next(&p, &len, &r), 1);
	assert_true(ipset_header_format(&r.header, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "Header: family inet6 hashsize 1024 maxelem 65536 timeout 30 "
				     "counters comment bucketsize 12 initval 0x0000abcd\n"));
	assert_int_equal(ipset_reply_next(&p, &len, &r), 1);
	assert_int_equal(r.kind, IPSET_REPLY_DONE);
	assert_int_equal(r.error, 0);
	assert_int_equal(ipset_reply_next(&p, &len, &r), 0);
}

static void test_list_reply_odd(void **state)
{
	uint8_t in[2048];
	const uint8_t *p;
	size_t len;
	struct nlmsghdr *nlh;
	struct nlattr *name;
	struct ipset_reply r;
	char text[512];

	(void)state;
	/* a dump that failed says so in its NLMSG_DONE */
	p = in;
	len = done_msg(in, 6, -EMSGSIZE);
	assert_int_equal(ipset_reply_next(&p, &len, &r), 1);
	assert_int_equal(r.kind, IPSET_REPLY_DONE);
	assert_int_equal(r.error, -EMSGSIZE);
	/* a name without its NUL is no name: no header, no read past it */
	len = list_msg(in, 7, "cdnallow4", NFPROTO_IPV4, 0);
	nlh = (struct nlmsghdr *)in;
	name = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	name = mnl_attr_next(name);
	assert_int_equal(mnl_attr_get_type(name), IPSET_ATTR_SETNAME);
	memset(mnl_attr_get_payload(name), 'x', mnl_attr_get_payload_len(name));
	p = in;
	assert_int_equal(ipset_reply_next(&p, &len, &r), 1);
	assert_int_equal(r.kind, IPSET_REPLY_DATA);
	assert_false(r.has_header);
	/* an unknown family: no family word, the header still shows the rest */
	len = list_msg(in, 8, "s", 0, 0);
	p = in;
	assert_int_equal(ipset_reply_next(&p, &len, &r), 1);
	assert_true(ipset_header_format(&r.header, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "\nHeader: hashsize 1024 maxelem 65536 bucketsize 12 "));
}

static void test_errno(void **state)
{
	(void)state;
	assert_int_equal(ipset_errno(-IPSET_ERR_HASH_FULL), -ENOSPC);
	assert_int_equal(ipset_errno(-IPSET_ERR_BUSY), -EBUSY);
	assert_int_equal(ipset_errno(-IPSET_ERR_EXIST), -EEXIST);
	assert_int_equal(ipset_errno(-IPSET_ERR_TYPE_MISMATCH), -EEXIST);
	assert_int_equal(ipset_errno(-EPERM), -EPERM);
	assert_string_equal(ipset_strerror(-IPSET_ERR_TYPE_MISMATCH, IPSET_CMD_SWAP),
			    "set exists with different type");
	assert_string_equal(ipset_strerror(-IPSET_ERR_EXIST, IPSET_CMD_ADD),
			    "element is already in the set");
	assert_string_equal(ipset_strerror(-IPSET_ERR_EXIST, IPSET_CMD_CREATE),
			    "set already exists");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_swap_destroy),
		cmocka_unit_test(test_adt_split_v4),
		cmocka_unit_test(test_adt_split_v6),
		cmocka_unit_test(test_adt_too_small),
		cmocka_unit_test(test_reply_refusal),
		cmocka_unit_test(test_reply_data_and_bad),
		cmocka_unit_test(test_list_request),
		cmocka_unit_test(test_list_reply),
		cmocka_unit_test(test_list_reply_odd),
		cmocka_unit_test(test_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
