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

/* The sections of cdnallow.conf and their keys (config_keys.c). */
enum config_sec {
	SEC_CDNALLOW,
	SEC_GUARD,
	SEC_FETCH,
	SEC_PROVIDER,
	SEC_SOURCE,
	SEC_NFTABLES,
	SEC_UFW,
	SEC_OUTPUT,
	SEC_HOOKS,
	SEC_COUNT
};
/* Key slots the end-of-section checks look at; synonyms (service, tag) share one. */
enum { P_URL, P_PATH, P_FLOOR, P_FILTER, P_INSECURE, P_MAX_ADDRESSES };
enum { S_URL, S_PATH, S_FORMAT, S_JSON_PATH, S_INSECURE, S_FLOOR, S_MAX_ADDRESSES };
enum { N_TABLE, N_CHAIN };
enum { O_FORMAT, O_PATH, O_HEADER, O_MODE, O_TEST, O_RELOAD };

struct config;

struct config_key {
	const char *name;
	unsigned slot;
	/* at: the section's entry in c->overrides or c->sources (named sections only) */
	int (*set)(struct config *c, size_t i, const char *v, struct diag *d);
};

struct config_section {
	const char *name;
	bool named;		       /* [name:NAME] */
	const struct config_key *keys; /* NULL-terminated */
};

extern const struct config_section config_sections[SEC_COUNT];

/* [output:NAME] (config_output.c): its keys, and what only the whole section can tell. */
extern const struct config_key config_output_keys[];
/*
 * Needs format and path, a header only for the web-server formats, a path no
 * other output uses; *line gets the line of the offending key (key_line[]
 * by O_* slot, 0 for the section's own line).
 */
int config_output_check(const struct config *c, size_t at, const unsigned *key_line, unsigned *line,
			struct diag *d);

#endif
