// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads cdnallow.conf (docs/architecture.md §6) with libinih into struct config. Every
 * error names FILE:LINE, the key and what is allowed, and the first error
 * stops the parse: a half-understood config must never reach the firewall.
 *
 * Debian's libinih 55 is built without INI_HANDLER_LINENO, with 200-byte
 * lines, ';'-only inline comments and Python-style continuation lines. So
 * lines reach inih through our own reader, which counts them, strips ';' and
 * '#' comments and indentation (no continuation lines), and checks section
 * headers and key syntax itself; values too long for inih's buffer bypass it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "fileio.h"
#include "config.h"
#include "config_int.h"
#include "diag.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define SOURCE_NAME_MAX 64
#define SEC_MAX_KEYS 8

struct section {
	char *name; /* between the brackets: "guard", "source:office" */
	enum config_sec kind;
	unsigned line;
	size_t index;			 /* into c->overrides or c->sources */
	unsigned key_line[SEC_MAX_KEYS]; /* line that set each key slot, 0 = unset */
};

struct parser {
	struct config *c;
	struct diag *d;
	const char *origin;
	const char *p, *end;
	unsigned line;
	int err;
	struct section *secs;
	size_t nsecs;
	char *buf;
	size_t cap;
	const char *long_value; /* the value when the line did not fit inih's buffer */
};

static void perr(struct parser *x, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parser *x, unsigned line, const char *fmt, ...)
{
	char msg[DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_err(x->d, "%s:%u: %s", x->origin, line, msg);
	if (!x->err)
		x->err = -EINVAL;
}

static struct source_def *src(struct parser *x, struct section *s)
{
	return &x->c->sources[s->index];
}

static void key_names(const struct config_key *keys, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; keys[i].name && len + 1 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", keys[i].name);
}

static void finish_output(struct parser *x, struct section *s)
{
	struct diag sub;
	unsigned line = 0;

	diag_init(&sub);
	if (config_output_check(x->c, s->index, s->key_line, &line, &sub) < 0)
		perr(x, line ? line : s->line, "[%s]: %s", s->name, sub.msg);
	diag_release(&sub);
}

/* Checks what only the whole section can tell, once it ends. */
static void finish_section(struct parser *x, struct section *s)
{
	const unsigned *k = s->key_line;

	if (s->kind == SEC_SOURCE) {
		struct source_def *sd = src(x, s);

		if (!k[S_URL] && !k[S_PATH])
			perr(x, s->line, "[%s]: needs url or path", s->name);
		else if (k[S_URL] && k[S_PATH])
			perr(x, s->line, "[%s]: give either url or path, not both", s->name);
		else if (sd->format == FORMAT_JSON && !sd->json_path)
			perr(x, s->line, "[%s]: format = json needs json_path (e.g. data.ranges[])",
			     s->name);
		else if (sd->json_path && sd->format != FORMAT_JSON && sd->format != FORMAT_AUTO)
			perr(x, k[S_JSON_PATH], "[%s]: json_path applies only to format = json",
			     s->name);
	}
	if (s->kind == SEC_OUTPUT)
		finish_output(x, s);
	/* mode sets (set above in [cdnallow]) installs no rule: a table alone names its place */
	if (s->kind == SEC_NFTABLES && !k[N_TABLE] != !k[N_CHAIN] &&
	    !(x->c->mode == MODE_SETS && k[N_TABLE]))
		perr(x, s->line,
		     "[nftables]: table and chain go together (e.g. table = inet "
		     "filter, chain = input)");
}

static bool valid_source_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SOURCE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static int find_kind(struct parser *x, const char *name, const char **arg)
{
	for (size_t i = 0; i < SEC_COUNT; i++) {
		size_t n = strlen(config_sections[i].name);

		if (!config_sections[i].named && strcmp(name, config_sections[i].name) == 0) {
			*arg = NULL;
			return (int)i;
		}
		if (config_sections[i].named && strncmp(name, config_sections[i].name, n) == 0 &&
		    name[n] == ':') {
			*arg = name + n + 1;
			return (int)i;
		}
	}
	perr(x, x->line,
	     "unknown section [%s] (known: [cdnallow], [guard], [fetch], [provider:NAME], "
	     "[source:NAME], [nftables], [ufw], [output:NAME])",
	     name);
	return -EINVAL;
}

/* A slot in c->outputs; a later config file replaces an earlier one's output of that name. */
static int output_slot(struct config *c, const char *arg, size_t *index)
{
	struct output_def *v;
	char *name = strdup(arg);

	if (!name)
		return -ENOMEM;
	for (*index = 0; *index < c->noutputs; (*index)++)
		if (!strcmp(c->outputs[*index].name, arg))
			break;
	if (*index == c->noutputs) {
		v = realloc(c->outputs, (c->noutputs + 1) * sizeof(*v));
		if (!v) {
			free(name);
			return -ENOMEM;
		}
		c->outputs = v;
		memset(&v[c->noutputs++], 0, sizeof(*v));
	}
	config_output_release(&c->outputs[*index]);
	c->outputs[*index].name = name;
	c->outputs[*index].mode = OUTPUT_DEFAULT_MODE;
	return 0;
}

/* A slot in c->overrides or c->sources; a later config file replaces an earlier one's. */
static int named_slot(struct parser *x, enum config_sec kind, const char *arg, size_t *index)
{
	struct config *c = x->c;
	size_t n = kind == SEC_PROVIDER ? c->noverrides : c->nsources;
	char *name = strdup(arg);
	void *v;

	if (!name)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *have = kind == SEC_PROVIDER ? c->overrides[i].name : c->sources[i].name;

		if (strcmp(have, arg) == 0) {
			*index = i;
			goto fill;
		}
	}
	if (kind == SEC_PROVIDER)
		v = realloc(c->overrides, (n + 1) * sizeof(*c->overrides));
	else
		v = realloc(c->sources, (n + 1) * sizeof(*c->sources));
	if (!v) {
		free(name);
		return -ENOMEM;
	}
	*index = n;
	if (kind == SEC_PROVIDER) {
		c->overrides = v;
		memset(&c->overrides[n], 0, sizeof(c->overrides[n]));
		c->noverrides++;
	} else {
		c->sources = v;
		memset(&c->sources[n], 0, sizeof(c->sources[n]));
		c->nsources++;
	}
fill:
	if (kind == SEC_PROVIDER) {
		struct provider_override *o = &c->overrides[*index];

		free(o->name);
		for (size_t i = 0; i < o->nurls; i++)
			free(o->urls[i]);
		free(o->filter);
		memset(o, 0, sizeof(*o));
		o->name = name;
	} else {
		struct source_def *sd = &c->sources[*index];

		free(sd->name);
		free(sd->url);
		free(sd->path);
		free(sd->json_path);
		memset(sd, 0, sizeof(*sd));
		sd->name = name;
		sd->format = FORMAT_AUTO;
	}
	return 0;
}

static int begin_section(struct parser *x, const char *name)
{
	struct section *s;
	const char *arg = NULL;
	size_t index = 0;
	int kind, ret;

	if (x->nsecs)
		finish_section(x, &x->secs[x->nsecs - 1]);
	if (x->err)
		return x->err;
	for (size_t i = 0; i < x->nsecs; i++) {
		if (strcmp(x->secs[i].name, name) == 0) {
			perr(x, x->line, "duplicate section [%s] (first at line %u)", name,
			     x->secs[i].line);
			return x->err;
		}
	}
	kind = find_kind(x, name, &arg);
	if (kind < 0)
		return kind;
	if (kind == SEC_PROVIDER) {
		struct diag sub;

		diag_init(&sub);
		ret = config_check_provider(arg, &sub);
		if (ret < 0)
			perr(x, x->line, "[%s]: %s", name, sub.msg);
		diag_release(&sub);
		if (ret < 0)
			return x->err;
	}
	if ((kind == SEC_SOURCE || kind == SEC_OUTPUT) && !valid_source_name(arg)) {
		perr(x, x->line, "[%s]: %s name must be 1 to %d letters, digits, '.', '_' or '-'",
		     name, kind == SEC_SOURCE ? "source" : "output", SOURCE_NAME_MAX);
		return x->err;
	}
	if (kind == SEC_SOURCE && provider_find(arg)) {
		perr(x, x->line,
		     "[%s]: '%s' is a built-in provider; use [provider:%s] to change it", name, arg,
		     arg);
		return x->err;
	}
	if (kind == SEC_PROVIDER || kind == SEC_SOURCE) {
		ret = named_slot(x, (enum config_sec)kind, arg, &index);
		if (ret < 0)
			return ret;
	}
	if (kind == SEC_OUTPUT) {
		ret = output_slot(x->c, arg, &index);
		if (ret < 0)
			return ret;
	}
	s = realloc(x->secs, (x->nsecs + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	x->secs = s;
	s = &x->secs[x->nsecs];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return -ENOMEM;
	x->nsecs++;
	s->kind = (enum config_sec)kind;
	s->line = x->line;
	s->index = index;
	return 0;
}

/* The section a key misplaced elsewhere belongs to, or NULL. */
static const struct config_section *key_home(const char *name)
{
	for (size_t i = 0; i < SEC_COUNT; i++)
		for (size_t j = 0; config_sections[i].keys[j].name; j++)
			if (!strcmp(config_sections[i].keys[j].name, name))
				return &config_sections[i];
	return NULL;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	const struct config_section *home;
	struct parser *x = user;
	struct section *s;
	const struct config_key *keys, *k = NULL;
	char known[256];
	int ret;

	(void)section;
	if (x->err || !x->nsecs)
		return 0;
	if (x->long_value)
		value = x->long_value;
	s = &x->secs[x->nsecs - 1];
	keys = config_sections[s->kind].keys;
	for (size_t i = 0; keys[i].name && !k; i++)
		if (strcmp(keys[i].name, name) == 0)
			k = &keys[i];
	if (!k) {
		home = key_home(name);
		key_names(keys, known, sizeof(known));
		if (home)
			perr(x, x->line, "key '%s' belongs in [%s%s], not in [%s]", name,
			     home->name, home->named ? ":NAME" : "", s->name);
		else
			perr(x, x->line, "key '%s' unknown in [%s] (known: %s)", name, s->name,
			     known);
		return 0;
	}
	if (s->key_line[k->slot]) {
		perr(x, x->line, "key '%s' given twice in [%s] (first at line %u)", name, s->name,
		     s->key_line[k->slot]);
		return 0;
	}
	ret = k->set(x->c, s->index, value, x->d);
	if (ret == -ENOMEM) {
		x->err = ret;
		return 0;
	}
	if (ret < 0) {
		diag_prefix(x->d, "%s:%u: key '%s' in [%s]: ", x->origin, x->line, name, s->name);
		x->err = -EINVAL;
		return 0;
	}
	s->key_line[k->slot] = x->line;
	return 1;
}

/* Cuts ';' and '#' comments (at the start or after a blank) and the blanks around. */
static char *clean_line(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == ';' || *s == '#')
		*s = '\0';
	for (char *q = s; *q; q++) {
		if ((*q == ';' || *q == '#') && q > s && isspace((unsigned char)q[-1])) {
			*q = '\0';
			break;
		}
	}
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static char *section_line(struct parser *x, char *t, char *str, int num)
{
	size_t n = strlen(t);
	char *name = t + 1;
	int ret;

	if (t[n - 1] != ']') {
		perr(x, x->line, "section header '%s' does not end with ']'", t);
		return NULL;
	}
	t[n - 1] = '\0';
	name = clean_line(name);
	ret = begin_section(x, name);
	if (ret < 0) {
		x->err = ret;
		return NULL;
	}
	/* valid section names are short: they always fit */
	if (snprintf(str, (size_t)num, "[%s]\n", name) >= num) {
		perr(x, x->line, "section name too long");
		return NULL;
	}
	return str;
}

static char *key_value_line(struct parser *x, char *t, char *str, int num)
{
	char *eq = strchr(t, '=');
	char *key = t, *value, *e;
	size_t klen, vlen;

	if (!eq) {
		perr(x, x->line, "expected 'key = value' or '[section]', got '%.40s'", t);
		return NULL;
	}
	*eq = '\0';
	value = eq + 1;
	e = eq;
	while (e > key && isspace((unsigned char)e[-1]))
		*--e = '\0';
	while (isspace((unsigned char)*value))
		value++;
	if (!*key) {
		perr(x, x->line, "missing key name before '='");
		return NULL;
	}
	for (const char *p = key; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_') {
			perr(x, x->line, "'%.40s' is not a key name (letters, digits and '_')",
			     key);
			return NULL;
		}
	}
	if (!x->nsecs) {
		perr(x, x->line, "key '%s' before any section (start with [cdnallow])", key);
		return NULL;
	}
	klen = strlen(key);
	vlen = strlen(value);
	if (klen + 3 > (size_t)num) {
		perr(x, x->line, "key name too long");
		return NULL;
	}
	if (klen + vlen + 3 > (size_t)num) {
		x->long_value = value;
		vlen = 0;
	}
	memcpy(str, key, klen);
	str[klen] = '=';
	memcpy(str + klen + 1, value, vlen);
	memcpy(str + klen + 1 + vlen, "\n", 2);
	return str;
}

/* ini_reader: hands inih one physical line at a time, cleaned. */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *x = stream;
	const char *nl;
	char *t;
	size_t n;

	x->long_value = NULL;
	if (x->err || x->p >= x->end || num < 8)
		return NULL;
	nl = memchr(x->p, '\n', (size_t)(x->end - x->p));
	n = (size_t)((nl ? nl : x->end) - x->p);
	x->line++;
	if (n + 1 > x->cap) {
		char *b = realloc(x->buf, n + 1);

		if (!b) {
			x->err = -ENOMEM;
			return NULL;
		}
		x->buf = b;
		x->cap = n + 1;
	}
	memcpy(x->buf, x->p, n);
	x->buf[n] = '\0';
	x->p = nl ? nl + 1 : x->end;
	if (strlen(x->buf) != n) {
		perr(x, x->line, "NUL byte in the file");
		return NULL;
	}
	t = x->buf;
	if (x->line == 1 && strncmp(t, "\xef\xbb\xbf", 3) == 0)
		t += 3;
	t = clean_line(t);
	if (!*t) {
		strcpy(str, "\n");
		return str;
	}
	if (*t == '[')
		return section_line(x, t, str, num);
	return key_value_line(x, t, str, num);
}

int config_load_string(struct config *c, const char *buf, size_t len, const char *origin,
		       struct diag *d)
{
	struct parser x;
	struct diag sub;
	int ret;

	diag_init(&sub);
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.d = &sub;
	x.origin = origin ? origin : "config";
	x.p = buf;
	x.end = buf + len;
	ret = ini_parse_stream(read_line, &x, on_key, &x);
	if (!x.err && x.nsecs)
		finish_section(&x, &x.secs[x.nsecs - 1]);
	if (x.err)
		ret = x.err;
	else if (ret == -2)
		ret = -ENOMEM;
	else if (ret != 0) {
		perr(&x, ret > 0 ? (unsigned)ret : x.line, "syntax error");
		ret = -EINVAL;
	}
	if (ret < 0 && sub.msg[0])
		diag_err(d, "%s", sub.msg);
	diag_take_warnings(d, &sub);
	for (size_t i = 0; i < x.nsecs; i++)
		free(x.secs[i].name);
	free(x.secs);
	free(x.buf);
	return ret;
}

int config_load(struct config *c, const char *path, struct diag *d)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = file_read_all(path, CONFIG_FILE_MAX, &buf, &len);
	if (ret == -ENOENT)
		return ret;
	if (ret == -EFBIG) {
		diag_err(d, "config file '%s' is larger than %d bytes", path, CONFIG_FILE_MAX);
		return -EINVAL;
	}
	if (ret < 0) {
		diag_err(d, "cannot read config file '%s': %s", path, strerror(-ret));
		return ret;
	}
	if (stat(path, &st) == 0 && (st.st_mode & S_IWOTH))
		diag_warn(
			d,
			"config file '%s' is writable by every user, who can then choose what the "
			"firewall admits; fix: chmod o-w '%s'",
			path, path);
	ret = config_load_string(c, buf, len, path, d);
	free(buf);
	if (ret == 0)
		ret = config_set_string(&c->path, path);
	return ret;
}
