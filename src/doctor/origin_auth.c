// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Doctor check 8 (with --domain), never an error: what an IP allowlist cannot
 * do. Every customer of a CDN shares its addresses, so any account can point
 * its own name at this origin and get through. Says whether the web server's
 * readable configuration (nginx, Apache, Caddy, HAProxy) demands more than
 * the address — a TLS client certificate, as Cloudflare's Authenticated
 * Origin Pulls sends — and names the fix. Reads configuration files only.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"

#define MAX_CONF (1 << 20)

/* Configuration directives that make the server demand a client certificate. */
static const char *const demands[] = { "ssl_verify_client on", "SSLVerifyClient require",
				       "client_auth", "verify required", NULL };

/* Does file hold an uncommented directive of demands[]? *readable: it could be read. */
static const char *file_demands(const char *path, bool *readable)
{
	static char line[1024];
	const char *found = NULL;
	FILE *fp = fopen(path, "r");
	size_t total = 0;

	if (!fp)
		return NULL;
	*readable = true;
	while (!found && total < MAX_CONF && fgets(line, sizeof(line), fp)) {
		const char *s = line + strspn(line, " \t");

		total += strlen(line);
		if (*s == '#')
			continue;
		for (size_t i = 0; demands[i]; i++) {
			if (strstr(s, demands[i]))
				found = demands[i];
		}
	}
	fclose(fp);
	return found;
}

/* Scans one file or every file of one directory under root. */
static const char *scan(const char *root, const char *rel, bool *readable, char *where, size_t size)
{
	char path[512];
	const char *found;
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	dir = opendir(path);
	if (!dir) {
		found = file_demands(path, readable);
		if (found)
			snprintf(where, size, "%s", path);
		return found;
	}
	found = NULL;
	while (!found && (de = readdir(dir))) {
		char file[768];

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		found = file_demands(file, readable);
		if (found)
			snprintf(where, size, "%s", file);
	}
	closedir(dir);
	return found;
}

int doctor_check_origin_auth(const struct doctor_ctx *c, const char *domain, struct findings *f)
{
	static const char *const places[] = {
		"nginx/nginx.conf",	 "nginx/conf.d",	 "nginx/sites-enabled",
		"apache2/sites-enabled", "apache2/mods-enabled", "httpd/conf.d",
		"caddy/Caddyfile",	 "haproxy/haproxy.cfg",	 NULL
	};
	const char *root = c->etc ? c->etc : "/etc", *found = NULL;
	char where[800] = "";
	bool readable = false;

	for (size_t i = 0; places[i] && !found; i++)
		found = scan(root, places[i], &readable, where, sizeof(where));
	if (found) {
		findings_add(
			f, "origin-auth", SEV_INFO,
			"none needed; keep the CDN sending its client certificate (Cloudflare: "
			"Authenticated Origin Pulls on for this zone)",
			"%s: the web server demands a TLS client certificate (%s: \"%s\"), so "
			"only the CDN's own pulls get through, not another CDN customer "
			"pointing a name at this origin",
			domain, where, found);
		return 0;
	}
	findings_add(f, "origin-auth", SEV_INFO,
		     "make the origin demand more than the address: Cloudflare's Authenticated "
		     "Origin Pulls with nginx `ssl_verify_client on; ssl_client_certificate "
		     "/etc/ssl/cloudflare-origin-pull-ca.pem;` (Apache: SSLVerifyClient require), "
		     "or a secret header the CDN adds and the server requires",
		     "%s: the allowlist admits every customer of the CDN (they share its "
		     "addresses: any account can point a name at this origin) and %s",
		     domain,
		     readable ? "the readable web server configuration demands nothing more "
				"than the address (no client certificate)"
			      : "no web server configuration was readable to tell whether the "
				"origin demands more");
	return 0;
}
