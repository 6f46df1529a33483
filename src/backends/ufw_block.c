// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The marked blocks ("# BEGIN cdnallow" .. "# END cdnallow") the ufw backend's
 * ipset mode keeps in ufw's own files: before.init creates the sets before ufw
 * loads its rules, before.rules/before6.rules match on them. Pure text: find,
 * replace, insert, remove one block and leave every other byte of the admin's
 * file exactly as it was. Never reads or writes a file itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ufw_int.h"

/* Offset of the first line of text[from..len) equal to word (ignoring a trailing \r), or len. */
static size_t find_line(const char *text, size_t len, size_t from, const char *word)
{
	size_t wl = strlen(word);

	while (from < len) {
		const char *nl = memchr(text + from, '\n', len - from);
		size_t n = nl ? (size_t)(nl - (text + from)) : len - from;

		if (n && text[from + n - 1] == '\r')
			n--;
		if (n == wl && !memcmp(text + from, word, wl))
			return from;
		if (!nl)
			break;
		from = (size_t)(nl - text) + 1;
	}
	return len;
}

static size_t line_end(const char *text, size_t len, size_t at)
{
	const char *nl = memchr(text + at, '\n', len - at);

	return nl ? (size_t)(nl - text) + 1 : len;
}

bool ufw_block_find(const char *text, size_t len, size_t *start, size_t *end)
{
	size_t b = find_line(text, len, 0, UFW_BLOCK_BEGIN), e;

	if (b == len)
		return false;
	e = find_line(text, len, b, UFW_BLOCK_END);
	if (e == len)
		return false;
	*start = b;
	*end = line_end(text, len, e);
	return true;
}

static size_t anchor_at(const char *text, size_t len, enum ufw_anchor anchor)
{
	size_t f;

	if (anchor == UFW_ANCHOR_INIT)
		return len >= 2 && !memcmp(text, "#!", 2) ? line_end(text, len, 0) : 0;
	f = find_line(text, len, 0, "*filter");
	if (f == len)
		return len;
	return find_line(text, len, f, "COMMIT");
}

/* One BEGIN line, then one END line, nothing else: anything else was edited by hand. */
static bool markers_sane(const char *text, size_t len)
{
	size_t b = find_line(text, len, 0, UFW_BLOCK_BEGIN);
	size_t e = find_line(text, len, 0, UFW_BLOCK_END);

	if (b == len && e == len)
		return true;
	if (b == len || e == len || e < b)
		return false;
	return find_line(text, len, line_end(text, len, b), UFW_BLOCK_BEGIN) == len &&
	       find_line(text, len, line_end(text, len, e), UFW_BLOCK_END) == len;
}

int ufw_block_set(const char *text, size_t len, const char *block, enum ufw_anchor anchor,
		  char **out, size_t *out_len)
{
	size_t bl = block ? strlen(block) : 0, start, end, n;
	char *o;

	/* a stray marker would make the next run replace the admin's lines up to ours */
	if (!markers_sane(text, len))
		return -EBADMSG;
	if (!ufw_block_find(text, len, &start, &end)) {
		if (!block) {
			start = end = len;
		} else {
			start = end = anchor_at(text, len, anchor);
			if (start == len && anchor == UFW_ANCHOR_FILTER)
				return -ENOENT;
		}
	}
	/* the insertion point must start a line: a last line without \n gets one */
	n = start + bl + (len - end) + 1;
	o = malloc(n + 1);
	if (!o)
		return -ENOMEM;
	if (start)
		memcpy(o, text, start);
	n = start;
	if (bl && n && o[n - 1] != '\n')
		o[n++] = '\n';
	if (bl) /* a NULL block (removal) must not reach memcpy */
		memcpy(o + n, block, bl);
	n += bl;
	if (len > end)
		memcpy(o + n, text + end, len - end);
	n += len - end;
	o[n] = '\0';
	*out = o;
	*out_len = n;
	return 0;
}

int ufw_block_rules(bool v6, const char *ports, char **out)
{
	int n = asprintf(
		out,
		UFW_BLOCK_BEGIN
		"\n"
		"# managed by cdnallow (ufw backend, ipset mode): CDN ranges may reach the "
		"web ports; do not edit\n"
		"-A %s-before-input -p tcp -m multiport --dports %s -m set --match-set %s "
		"src -j ACCEPT\n" UFW_BLOCK_END "\n",
		v6 ? "ufw6" : "ufw", ports, v6 ? UFW_SET6 : UFW_SET4);

	if (n < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * ufw loads before.rules with iptables-restore, which fails as a whole when a
 * set it names is missing: so the sets must exist before ufw starts (at boot
 * they come up empty, until `cdnallow sync --offline` fills them). Sized for
 * the largest list; `ipset swap` replaces them with sets sized to their content.
 */
int ufw_block_init(char **out)
{
	int n = asprintf(out,
			 UFW_BLOCK_BEGIN
			 "\n"
			 "# managed by cdnallow (ufw backend, ipset mode): the sets before.rules "
			 "matches on; do not edit\n"
			 "if [ \"$1\" = start ]; then\n"
			 "\tipset list -n %s >/dev/null 2>&1 || "
			 "ipset create %s hash:net family inet maxelem 1048576\n"
			 "\tipset list -n %s >/dev/null 2>&1 || "
			 "ipset create %s hash:net family inet6 maxelem 1048576\n"
			 "fi\n" UFW_BLOCK_END "\n",
			 UFW_SET4, UFW_SET4, UFW_SET6, UFW_SET6);

	if (n < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
