/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one wrapper around a backend's apply(): a failed first sync takes out
 * what it created, and one warning says whether that worked. engine.c and
 * lockdown.c call it; a backend never words that warning itself.
 */
#ifndef CDNALLOW_ENGINE_UNDO_H
#define CDNALLOW_ENGINE_UNDO_H

struct backend_ops;
struct diag;
struct plan;

/* be->apply(h, p, d); on failure be->undo_new, its outcome a warning in d. Returns apply's. */
int undo_apply(const struct backend_ops *be, void *h, const struct plan *p, struct diag *d);

#endif
