// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Doctor checks 1 and 2: does something listen on every web port, on an
 * address the CDN can reach? Reads /proc/net/tcp{,6} of the current network
 * namespace and, to name the culprit, /proc/PID/fd and /proc/PID/comm. Never
 * connects anywhere.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fileio.h"
#include "diag.h"
#include "doctor.h"
#include "prefix_set.h"

#define TCP_LISTEN 0x0A

int listen_parse_proc(const char *text, int family, struct listener **v, size_t *n)
{
	const char *line = strchr(text, '\n'); /* skip the header */

	while (line && *++line) {
		char buf[512], local[64];
		unsigned port, st;
		unsigned long inode;
		struct listener l = { .family = family };
		struct listener *nv;
		const char *next = strchr(line, '\n');
		size_t len = next ? (size_t)(next - line) : strlen(line);

		/*
		 * One line at a time: sscanf measures its whole input, so scanning the
		 * rest of the table per line is quadratic (minutes on a busy server).
		 * Real lines are under 200 bytes.
		 */
		if (len >= sizeof(buf))
			goto next;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (sscanf(buf,
			   " %*u: %63[0-9A-Fa-f]:%x %*64[0-9A-Fa-f]:%*x %x %*x:%*x %*x:%*x %*x %*u "
			   "%*u %lu",
			   local, &port, &st, &inode) != 4)
			goto next;
		if (st != TCP_LISTEN || port > 65535)
			goto next;
		if (strlen(local) != (family == AF_INET ? 8u : 32u))
			return -EBADMSG;
		/* each 32-bit word is printed in host order (little endian here) */
		for (size_t w = 0; w < strlen(local) / 8; w++) {
			char word[9];
			uint32_t x;

			memcpy(word, local + w * 8, 8);
			word[8] = '\0';
			x = (uint32_t)strtoul(word, NULL, 16);
			memcpy(l.addr + w * 4, &x, 4);
		}
		l.port = (uint16_t)port;
		l.inode = inode;
		nv = realloc(*v, (*n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		(*v)[(*n)++] = l;
	next:
		line = next;
	}
	return 0;
}

static bool is_any(const struct listener *l)
{
	static const uint8_t zero[16];

	return !memcmp(l->addr, zero, l->family == AF_INET ? 4 : 16);
}

static bool is_loopback(const struct listener *l)
{
	static const uint8_t lo6[16] = { [15] = 1 };

	return l->family == AF_INET ? l->addr[0] == 127 : !memcmp(l->addr, lo6, 16);
}

/* "nginx (pid 812)" for the process holding socket inode, or "" when unknown. */
static void owner_of(const char *proc, unsigned long inode, char *buf, size_t size)
{
	char want[64], path[PATH_MAX], link[64];
	DIR *pd = opendir(proc);
	struct dirent *pe;

	buf[0] = '\0';
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (pd && !buf[0] && (pe = readdir(pd))) {
		DIR *fd;
		struct dirent *fe;

		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s/fd", proc, pe->d_name);
		fd = opendir(path);
		while (fd && (fe = readdir(fd))) {
			ssize_t k;

			snprintf(path, sizeof(path), "%s/%s/fd/%s", proc, pe->d_name, fe->d_name);
			k = readlink(path, link, sizeof(link) - 1);
			if (k <= 0)
				continue;
			link[k] = '\0';
			if (strcmp(link, want))
				continue;
			char *comm = NULL;
			size_t len = 0;

			snprintf(path, sizeof(path), "%s/%s/comm", proc, pe->d_name);
			if (file_read_all(path, 256, &comm, &len) == 0) {
				comm[strcspn(comm, "\n")] = '\0';
				snprintf(buf, size, "%.32s (pid %.16s)", comm, pe->d_name);
			}
			free(comm);
			break;
		}
		if (fd)
			closedir(fd);
	}
	if (pd)
		closedir(pd);
}

static bool process_running(const char *proc, const char *name)
{
	char path[PATH_MAX];
	DIR *pd = opendir(proc);
	struct dirent *pe;
	bool found = false;

	while (pd && !found && (pe = readdir(pd))) {
		char *comm = NULL;
		size_t len = 0;

		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", proc, pe->d_name);
		if (file_read_all(path, 256, &comm, &len) == 0)
			found = !strncmp(comm, name, strlen(name));
		free(comm);
	}
	if (pd)
		closedir(pd);
	return found;
}

/* Installed web servers that are not running: the usual reason nothing listens. */
static void stopped_servers(const char *proc, char *buf, size_t size)
{
	static const struct {
		const char *bin, *comm, *unit;
	} servers[] = {
		{ "/usr/sbin/nginx", "nginx", "nginx" },
		{ "/usr/sbin/apache2", "apache2", "apache2" },
		{ "/usr/sbin/httpd", "httpd", "httpd" },
		{ "/usr/bin/caddy", "caddy", "caddy" },
		{ "/usr/sbin/lighttpd", "lighttpd", "lighttpd" },
		{ "/usr/sbin/haproxy", "haproxy", "haproxy" },
	};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		if (access(servers[i].bin, X_OK) || process_running(proc, servers[i].comm))
			continue;
		if (len >= size)
			break;
		len += (size_t)snprintf(buf + len, size - len,
					"%s%s is installed but not running: systemctl start %s "
					"(journalctl -u %s says why it stopped)",
					len ? "; " : "", servers[i].comm, servers[i].unit,
					servers[i].unit);
	}
}

static int load(const struct doctor_ctx *c, const char *name, int family, struct listener **v,
		size_t *n)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/net/%s", c->proc, name);
	ret = file_read_all(path, 64u << 20, &text, &len);
	if (ret == -ENOENT && family == AF_INET6)
		return 0; /* IPv6 disabled */
	if (ret == 0)
		ret = listen_parse_proc(text, family, v, n);
	free(text);
	return ret;
}

static void check_port(const struct doctor_ctx *c, const struct listener *v, size_t n,
		       uint16_t port, bool other_port_listens, struct findings *f)
{
	char addrs[256] = "", who[128] = "", fix[1024], text[64];
	size_t nport = 0, nloop = 0, nany = 0, len = 0;
	struct prefix p;

	for (size_t i = 0; i < n; i++) {
		if (v[i].port != port)
			continue;
		nport++;
		nloop += is_loopback(&v[i]);
		nany += is_any(&v[i]);
		prefix_from_bytes(v[i].family, v[i].addr, v[i].family == AF_INET ? 32 : 128, &p);
		prefix_format(&p, text, sizeof(text));
		text[strcspn(text, "/")] = '\0';
		if (len < sizeof(addrs))
			len += (size_t)snprintf(addrs + len, sizeof(addrs) - len, "%s%s",
						len ? ", " : "", text);
		if (!who[0])
			owner_of(c->proc, v[i].inode, who, sizeof(who));
	}
	if (nport == 0) {
		stopped_servers(c->proc, fix, sizeof(fix));
		if (!fix[0])
			snprintf(fix, sizeof(fix),
				 "start the web server, or make it listen on port %u (nginx: "
				 "listen %u; listen [::]:%u;)",
				 port, port, port);
		if (port == 443 && other_port_listens)
			findings_add(
				f, "listen", SEV_ERROR, fix,
				"nothing listens on tcp port 443 while port 80 does: the CDN's "
				"Full and Full (strict) TLS modes connect to 443 (error 521)");
		else
			findings_add(
				f, "listen", SEV_ERROR, fix,
				"nothing listens on tcp port %u: the CDN gets connection refused "
				"(error 521)",
				port);
		return;
	}
	if (nloop == nport) {
		snprintf(fix, sizeof(fix),
			 "make %s listen on all addresses (nginx: listen %u; listen [::]:%u; "
			 "apache: Listen %u) and reload it",
			 who[0] ? who : "the server", port, port, port);
		findings_add(f, "bind", SEV_ERROR, fix,
			     "port %u listens on loopback only (%s%s%s): the CDN cannot reach it",
			     port, addrs, who[0] ? ", " : "", who);
		return;
	}
	if (nany == 0)
		findings_add(f, "bind", SEV_WARNING,
			     "check that the CDN reaches the origin on this address, or listen on "
			     "all addresses",
			     "port %u listens only on %s%s%s, not on all addresses", port, addrs,
			     who[0] ? " — " : "", who);
}

int doctor_check_listen(const struct doctor_ctx *c, struct findings *f, struct diag *d)
{
	struct listener *v = NULL;
	size_t n = 0;
	int ret;

	ret = load(c, "tcp", AF_INET, &v, &n);
	if (ret == 0)
		ret = load(c, "tcp6", AF_INET6, &v, &n);
	if (ret < 0) {
		diag_err(d, "reading %s/net/tcp: %s", c->proc, strerror(-ret));
		goto out;
	}
	for (size_t i = 0; i < c->nports; i++) {
		bool other = false;

		for (size_t j = 0; j < n; j++)
			other |= v[j].port != c->ports[i] && v[j].port == 80;
		check_port(c, v, n, c->ports[i], other, f);
	}
out:
	free(v);
	return ret;
}
