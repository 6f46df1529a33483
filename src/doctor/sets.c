// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Doctor's view of mode sets: cdnallow keeps the CDN's ranges as sets
 * (nftables cdnallow4/cdnallow6 in the admin's table, ipsets cdnallow4/cdnallow6)
 * and installs no rule, so the sets existing proves nothing: only the admin's
 * rules that use them let the CDN in. This counts those rules (cdnallow's own,
 * commented "cdnallow", do not count) and says so; the firewall check judges
 * their effect. Read-only.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "read.h"

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* needle followed by the end of the name ("@cdnallow4" but not "@cdnallow4b") */
static bool has_ref(const char *line, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(line + i, needle, n) && (i + n == len || !is_name_char(line[i + n])))
			return true;
	return false;
}

static bool has_text(const char *line, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(line + i, s, n))
			return true;
	return false;
}

size_t doctor_sets_count_refs(const char *text, bool nft)
{
	size_t count = 0;

	while (text && *text) {
		size_t len = strcspn(text, "\n");
		bool ref;

		if (nft)
			ref = !has_text(text, len, "comment \"cdnallow\"") &&
			      (has_ref(text, len, "@cdnallow4") ||
			       has_ref(text, len, "@cdnallow6"));
		else
			ref = len > 3 && !memcmp(text, "-A ", 3) &&
			      !has_ref(text, len, "--comment cdnallow") &&
			      (has_ref(text, len, "--match-set cdnallow4") ||
			       has_ref(text, len, "--match-set cdnallow6"));
		count += ref;
		text += len + (text[len] == '\n');
	}
	return count;
}

int doctor_check_sets(const struct doctor_ctx *c, struct findings *f, struct diag *d)
{
	static const char *const saves[] = { "iptables-nft-save", "ip6tables-nft-save",
					     "iptables-legacy-save", "ip6tables-legacy-save" };
	size_t n_nft = 0, n_ipt = 0;
	char *text;

	(void)d;
	if (!c->sets)
		return 0;
	text = doctor_read_nft(false);
	n_nft = doctor_sets_count_refs(text, true);
	free(text);
	for (size_t i = 0; i < sizeof(saves) / sizeof(saves[0]); i++) {
		text = doctor_read_save(saves[i]);
		n_ipt += doctor_sets_count_refs(text, false);
		free(text);
	}
	if (n_nft + n_ipt == 0)
		findings_add(
			f, "sets", SEV_WARNING,
			"add a rule that accepts them, e.g. nft: ip saddr @cdnallow4 tcp dport "
			"443 accept; iptables: -m set --match-set cdnallow4 src -j ACCEPT",
			"mode sets: cdnallow keeps the CDN's ranges in the sets cdnallow4/"
			"cdnallow6 and installs no rule; no rule of yours references them, so "
			"the sets let nothing in");
	else
		findings_add(
			f, "sets", SEV_INFO, "",
			"mode sets: cdnallow keeps the CDN's ranges in the sets cdnallow4/"
			"cdnallow6 and installs no rule; what gets in is up to your rules: %zu "
			"rule%s reference%s them (nftables %zu, iptables %zu)",
			n_nft + n_ipt, n_nft + n_ipt == 1 ? "" : "s", n_nft + n_ipt == 1 ? "s" : "",
			n_nft, n_ipt);
	return 0;
}
