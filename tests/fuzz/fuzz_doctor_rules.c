// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for doctor's ruleset evaluators: nft_eval_ruleset (`nft -j
 * list ruleset` JSON) and legacy_eval_save (iptables-save text). The first
 * byte picks the evaluator (bit 0), the probe's family (bit 1), its port (bits
 * 2-3) and its source address (bits 4-5, from the documentation ranges); the
 * rest is the ruleset. A result is a verdict per hooked chain, an error
 * explains itself. The ban-list finders (doctor_bans_nft, doctor_bans_ipt)
 * run on the same input against fixed CDN ranges; for iptables text the input
 * doubles as `ipset save`, and feeds the mode-sets reference counter
 * (doctor_sets_count_refs). Pure evaluation: reads and changes no firewall.
 * Seeds: tests/fuzz/corpus/doctor_rules/ (first byte = selector).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "doctor.h"
#include "fuzz.h"
#include "prefix_set.h"

static const uint16_t ports[] = { 80, 443, 22, 8080 };
static const uint8_t v4[4][4] = {
	{ 192, 0, 2, 1 }, { 198, 51, 100, 7 }, { 203, 0, 113, 200 }, { 10, 0, 0, 1 }
};
static const uint8_t v6[4][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, [15] = 0x10 },
	{ 0x24, 0x00, 0xcb, 0x00, [15] = 5 },
	{ 0xfe, 0x80, [15] = 1 },
};

static void setup_probe(struct probe *p, uint8_t sel)
{
	memset(p, 0, sizeof(*p));
	p->family = sel & 2 ? AF_INET6 : AF_INET;
	p->dport = ports[(sel >> 2) & 3];
	if (p->family == AF_INET)
		memcpy(p->saddr, v4[(sel >> 4) & 3], 4);
	else
		memcpy(p->saddr, v6[(sel >> 4) & 3], 16);
}

static void check_verdicts(const struct chain_verdict *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		check(v[i].verdict == VERDICT_ACCEPT || v[i].verdict == VERDICT_DROP);
		check(strnlen(v[i].where, sizeof(v[i].where)) < sizeof(v[i].where));
		check(strnlen(v[i].because, sizeof(v[i].because)) < sizeof(v[i].because));
		check(v[i].where[0] && v[i].because[0]);
	}
}

/* Every ban names its place and at least one address inside the CDN ranges. */
static void check_bans(const char *text, size_t len, bool json, const struct probe *p)
{
	static const char cdn_text[] = "203.0.113.0/24\n2001:db8:cd::/48\n192.0.2.128/25\n";
	static const uint16_t web[] = { 80, 443 };
	struct prefix_set *cdn = prefix_set_new();
	struct ban *b = NULL;
	struct diag d;
	size_t n = 0;
	int ret;

	diag_init(&d);
	if (!cdn || prefix_set_parse_text(cdn, cdn_text, strlen(cdn_text), "fuzz", &d) < 0)
		goto out;
	if (json)
		ret = doctor_bans_nft(text, len, p->dport == 22, cdn, web, 2, &b, &n, &d);
	else
		ret = doctor_bans_ipt(text, text, "iptables-nft", cdn, web, 2, &b, &n);
	check(ret == 0 || ret == -ENOMEM || ret == -EBADMSG);
	for (size_t i = 0; ret == 0 && i < n; i++)
		check(b[i].where[0] && b[i].addrs[0] && b[i].count > 0);
	free(b);
out:
	prefix_set_free(cdn);
	diag_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chain_verdict *out = NULL;
	struct probe p;
	struct diag d;
	size_t n = 0;
	char *save;
	int ret;

	if (size < 1)
		return 0;
	diag_init(&d);
	setup_probe(&p, data[0]);
	if (data[0] & 1) {
		save = malloc(size);
		if (!save)
			goto out;
		memcpy(save, data + 1, size - 1);
		save[size - 1] = '\0';
		check_bans(save, size - 1, false, &p);
		/* mode sets: one reference at most per line, in either syntax */
		check(doctor_sets_count_refs(save, data[0] & 2) <= size);
		ret = legacy_eval_save(save, save,
				       data[0] & 64 ? "iptables-nft" : "iptables-legacy", &p, &out,
				       &n, &d);
		free(save);
		check(ret == -ENOMEM || (ret >= 0 && ret <= 4));
	} else {
		check_bans((const char *)data + 1, size - 1, true, &p);
		ret = nft_eval_ruleset((const char *)data + 1, size - 1, NULL, &p, &out, &n, &d);
		check(ret == -ENOMEM || ret == -EBADMSG || ret >= 0);
		check((ret == -EBADMSG) == (d.msg[0] != '\0'));
	}
	if (ret < 0) {
		check(!out && n == 0);
		goto out;
	}
	check((size_t)ret == n);
	check_verdicts(out, n);
out:
	free(out);
	diag_release(&d);
	return 0;
}
