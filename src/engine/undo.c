// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A failed apply keeps the previous state (docs/architecture.md, safety
 * rules). Where it failed half-way through a first sync, the backend's
 * undo_new() takes out what that sync had created, and nothing else: the
 * admin's objects and what an earlier sync installed stay. This file words the
 * one warning about it for every backend; it never removes anything itself.
 */
#include <string.h>

#include "backend.h"
#include "diag.h"
#include "undo.h"

int undo_apply(const struct backend_ops *be, void *h, const struct plan *p, struct diag *d)
{
	struct diag u;
	int ret = be->apply(h, p, d), r;

	if (ret >= 0 || !be->undo_new)
		return ret;
	diag_init(&u);
	r = be->undo_new(h, &u);
	diag_take_warnings(d, &u);
	if (r > 0)
		diag_warn(d, "%s: removed what this failed first sync had created", be->name);
	else if (r < 0)
		diag_warn(d,
			  "%s: could not remove what this failed first sync created (%s); "
			  "`cdnallow flush` removes it",
			  be->name, u.msg[0] ? u.msg : strerror(-r));
	diag_release(&u);
	return ret;
}
