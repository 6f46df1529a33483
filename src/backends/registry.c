// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one table of firewall backends, `backend_find` by name and `auto`
 * (DESIGN.md §1: the backend whose detect() scores highest, nftables when no
 * firewall is in use). It must never hold state: callers keep the pointer.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "backend.h"
#include "diag.h"

extern const struct backend_ops backend_nftables;

/*
 * Each backend file is its own helper's work and may not exist yet. A weak
 * reference alone would not do: the linker never pulls an archive member
 * (libcdnallow_core.a) to satisfy a weak undefined symbol, so every backend but
 * nftables would silently read as NULL. Instead an entry is compiled in when its
 * file is present next to this one (a quoted __has_include searches this
 * directory first) and referenced strongly; NULL entries are still skipped.
 * Once all four files exist this reduces to plain externs.
 */
#if defined(__has_include)
#if __has_include("iptables.c")
#define HAVE_BACKEND_IPTABLES 1
extern const struct backend_ops backend_iptables;
#endif
#if __has_include("ufw.c")
#define HAVE_BACKEND_UFW 1
extern const struct backend_ops backend_ufw;
#endif
#if __has_include("firewalld.c")
#define HAVE_BACKEND_FIREWALLD 1
extern const struct backend_ops backend_firewalld;
#endif
#endif

/* Preference order for equal scores in `auto`. */
const struct backend_ops *const backend_registry[] = {
#ifdef HAVE_BACKEND_FIREWALLD
	&backend_firewalld,
#endif
#ifdef HAVE_BACKEND_UFW
	&backend_ufw,
#endif
	&backend_nftables,
#ifdef HAVE_BACKEND_IPTABLES
	&backend_iptables,
#endif
	NULL,
};

const struct backend_ops *backend_find(const char *name)
{
	for (size_t i = 0; backend_registry[i]; i++)
		if (backend_registry[i]->name && !strcmp(backend_registry[i]->name, name))
			return backend_registry[i];
	return NULL;
}

const struct backend_ops *backend_auto(struct diag *d)
{
	const struct backend_ops *best = &backend_nftables;
	int best_score = 0;

	for (size_t i = 0; backend_registry[i]; i++) {
		const struct backend_ops *b = backend_registry[i];
		int score = b->detect ? b->detect(d) : 0;

		if (score < 0) {
			diag_warn(d, "auto: cannot tell whether %s is in use: %s", b->name,
				  strerror(-score));
			continue;
		}
		if (score > best_score) {
			best = b;
			best_score = score;
		}
	}
	return best;
}
