/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Value parsers shared by the config file reader (config_parse.c) and the
 * setters the CLI calls (config.c). Each one leaves its target untouched on
 * error and says in d what is allowed; callers add "FILE:LINE: key 'k'".
 */
#ifndef CDNALLOW_CONFIG_INT_H
#define CDNALLOW_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

struct diag;

/* Decimal digits only, within [min, max]. */
int config_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		      unsigned long long *out, struct diag *d);
/* true/false, yes/no, on/off, 1/0 (any case). */
int config_parse_bool(const char *s, bool *out, struct diag *d);
/* Splits "a, b ,c" at commas, trimming blanks; an empty item is an error, "" gives 0 items. */
int config_split_list(const char *s, char ***items, size_t *n, struct diag *d);
void config_free_list(char **items, size_t n);
/* Replaces *dst with a copy of s. */
int config_set_string(char **dst, const char *s);
/* An absolute path without control characters; what names the key's meaning ("state dir"). */
int config_check_path(const char *s, const char *what, struct diag *d);
/* A built-in provider name (not "generic"); the error lists the known ones. */
int config_check_provider(const char *name, struct diag *d);

#endif
