/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/cdnallow/cdnallow.conf (INI, libinih) and the built-in defaults
 * (docs/architecture.md §6). Unknown sections or keys and bad values are errors naming
 * file:line and the key. The CLI overrides fields after loading.
 */
#ifndef CDNALLOW_CONFIG_H
#define CDNALLOW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "export.h"
#include "source.h"

struct diag;

#define CONFIG_DEFAULT_PATH "/etc/cdnallow/cdnallow.conf"
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/cdnallow"

/* [provider:NAME]: overrides of a built-in provider; unset fields keep the defaults. */
struct provider_override {
	char *name;
	char *urls[SOURCE_MAX_URLS]; /* url = a, b (comma list) or path = … */
	size_t nurls;
	size_t floor;
	bool has_floor;
	char *filter; /* service = / tag = */
	bool insecure;
	double max_addresses[2]; /* max_addresses = V4, V6 */
	bool has_max_addresses;
};

/*
 * [output:NAME]: a file rendered from the synced list (export.h) after every
 * sync, written only when its content changes; test and reload are commands
 * (split into words, run without a shell), NULL when not given.
 */
struct output_def {
	char *name;
	enum export_format format;
	char *path;
	char *header; /* NULL: the sources' own (export_default_header) */
	unsigned mode;
	char *test;
	char *reload;
};

#define OUTPUT_DEFAULT_MODE 0644

/* [source:NAME]: an extra generic source. */
struct source_def {
	char *name;
	char *url; /* url or path, exactly one */
	char *path;
	enum source_format format;
	char *json_path;
	bool insecure;
	size_t floor;
	double max_addresses[2];
	bool has_max_addresses;
};

struct config {
	char *path; /* file loaded, or NULL for built-in defaults */
	char **providers;
	size_t nproviders;
	char *backend; /* "auto" or a backend name */
	uint16_t ports[BACKEND_MAX_PORTS];
	size_t nports;
	enum cdnallow_mode mode;
	char *state_dir;
	/* [guard] */
	unsigned max_shrink;
	unsigned max_grow;
	long max_age_s; /* fallback data older than this may keep, never add (§5) */
	bool allow_test_ranges;
	/* [fetch] */
	long timeout_s;
	unsigned retries;
	size_t max_size;
	char *ca_file;
	/* [provider:*], [source:*] */
	struct provider_override *overrides;
	size_t noverrides;
	struct source_def *sources;
	size_t nsources;
	/* [nftables] */
	char *nft_table;
	char *nft_chain;
	/* [ufw] */
	unsigned ufw_ipset_threshold;
	/* [output:*] */
	struct output_def *outputs;
	size_t noutputs;
	/* [hooks] */
	char *hook_on_change; /* command run with the change document on stdin, or NULL */
	unsigned hook_timeout_s;
};

/* Built-in defaults: cloudflare, auto, 80+443, allow, /var/lib/cdnallow, 30 %, 30 s, 3, 16 MiB. */
int config_init(struct config *c);
/* Loads path over c. -ENOENT when the file does not exist (caller decides), -EINVAL with file:line.
 */
int config_load(struct config *c, const char *path, struct diag *d);
/*
 * Parses the INI text buf[0..len) over c; origin names it in messages
 * ("origin:LINE: ..."). On error c is still valid for config_release() but may
 * hold some of the file's values.
 */
int config_load_string(struct config *c, const char *buf, size_t len, const char *origin,
		       struct diag *d);
void config_release(struct config *c);
/* "80,443" → ports; -EINVAL naming the bad item. */
int config_parse_ports(const char *s, uint16_t *ports, size_t *nports, struct diag *d);
/* "cloudflare, fastly" → providers list (validated against the registry). */
int config_set_providers(struct config *c, const char *list, struct diag *d);
/* Command-line overrides; each checks like the config key and changes nothing on error. */
int config_set_backend(struct config *c, const char *name, struct diag *d); /* auto|nftables|… */
int config_set_mode(struct config *c, const char *mode, struct diag *d); /* allow|lockdown|sets */
int config_set_state_dir(struct config *c, const char *dir, struct diag *d); /* absolute path */
/*
 * max_addresses: "V4, V6", each a count with an optional k, M, G or T
 * (binary) suffix, or "/N", the size of one prefix of that length.
 */
int config_parse_addresses(const char *s, double out[2], struct diag *d);
/* "16M", "512k", "1000" → bytes. */
int config_parse_size(const char *s, size_t *out);
const struct provider_override *config_find_override(const struct config *c, const char *name);
void config_output_release(struct output_def *o);

#endif
