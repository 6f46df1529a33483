// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the ufw rule-file parser (ufw_rules_parse) and the
 * predicates and audit that read its records. The first byte picks user.rules
 * or user6.rules (bit 0) and ipset mode for the audit (bit 1), the rest is the
 * file. A malformed tuple may only warn, never fail; every record must be
 * NUL-terminated, numbered in file order and readable by every predicate.
 * Never runs ufw. Seeds: tests/fuzz/corpus/ufw_rules/ (first byte = selector).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/backends/ufw_int.h"
#include "diag.h"
#include "prefix.h"
#include "fuzz.h"

#define terminated(field) check(strnlen(field, sizeof(field)) < sizeof(field))

static void check_rule(const struct ufw_rule *x, bool v6, unsigned prev_line)
{
	static const uint16_t probe_ports[] = { 0, 22, 80, 443, 8080, 65535 };
	struct prefix p;

	terminated(x->action);
	terminated(x->proto);
	terminated(x->dport);
	terminated(x->dst);
	terminated(x->sport);
	terminated(x->src);
	terminated(x->dir);
	terminated(x->comment);
	check(x->v6 == v6);
	check(x->line > prev_line);
	(void)ufw_rule_is_ours(x);
	(void)ufw_rule_src_any(x);
	(void)ufw_rule_is_plain_allow(x, "80,443");
	(void)ufw_rule_is_plain_allow(x, "443");
	for (size_t i = 0; i < sizeof(probe_ports) / sizeof(probe_ports[0]); i++)
		(void)ufw_rule_covers_port(x, probe_ports[i]);
	if (ufw_rule_src_prefix(x, &p))
		check(p.len <= prefix_width(&p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 80, 443 };
	struct ufw_rules r = { 0 };
	struct diag d;
	bool v6;
	int ret;

	if (size < 1)
		return 0;
	v6 = data[0] & 1;
	diag_init(&d);
	ret = ufw_rules_parse(&r, (const char *)data + 1, size - 1, v6, &d);
	check(ret == 0 || ret == -ENOMEM);
	check(d.msg[0] == '\0'); /* malformed tuples are warnings */
	check(r.n <= r.cap);
	for (size_t i = 0; i < r.n; i++)
		check_rule(&r.v[i], v6, i ? r.v[i - 1].line : 0);
	ufw_rules_audit(&r, ports, 2, data[0] & 2, &d);
	check(d.msg[0] == '\0');
	ufw_rules_release(&r);
	diag_release(&d);
	return 0;
}
