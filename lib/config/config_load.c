/* Loading a configuration: defaults, a structural pass over the file with line numbers,
 * values through rte_cfgfile, then overrides, then jw_config_finish(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cfgfile.h>

#include "config/config.h"
#include "config/config_schema.h"

#define LINE_MAX_LEN 1024

void
jw_config_defaults(struct jw_config *out)
{
	char why[128];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < jw_cfg_nkeys; i++)
		if (jw_cfg_keys[i].def)
			(void)jw_cfg_parse(&jw_cfg_keys[i], jw_cfg_keys[i].def, out, why,
					   sizeof(why));
}

int
jw_config_set(struct jw_config *c, const char *section, const char *key, const char *value,
	      char *err, size_t errlen)
{
	const struct jw_cfg_key *k;
	char why[192];

	if (!jw_cfg_section_known(section)) {
		snprintf(err, errlen, "unknown section [%s]", section);
		return -ENOENT;
	}
	k = jw_cfg_key_find(section, key);
	if (!k) {
		snprintf(err, errlen, "[%s] unknown key \"%s\"", section, key);
		return -ENOENT;
	}
	if (jw_cfg_parse(k, value, c, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "[%s] %s = \"%s\": %s", section, key, value, why);
		return -EINVAL;
	}
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* The structural pass: every line is blank, a comment, a known [section] seen once, or a
 * known key seen once in its section. rte_cfgfile reports none of this with a line. */
static int
check_structure(const char *path, FILE *f, char *err, size_t errlen)
{
	char line[LINE_MAX_LEN + 2];
	char section[CFG_NAME_LEN] = "";
	unsigned int seen_sections = 0;
	unsigned char seen_keys[256] = { 0 };
	int lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		char *s, *hash, *eq;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s: line %d: longer than %d characters", path,
				 lineno, LINE_MAX_LEN);
			return -EINVAL;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			size_t l = strlen(s);
			size_t idx;

			if (s[l - 1] != ']' || l < 3) {
				snprintf(err, errlen, "%s: line %d: malformed section header \"%s\"",
					 path, lineno, s);
				return -EINVAL;
			}
			s[l - 1] = '\0';
			s = trim(s + 1);
			for (idx = 0; idx < jw_cfg_nsections; idx++)
				if (strcmp(jw_cfg_sections[idx], s) == 0)
					break;
			if (idx == jw_cfg_nsections) {
				snprintf(err, errlen, "%s: line %d: unknown section [%s]", path,
					 lineno, s);
				return -EINVAL;
			}
			if (seen_sections & (1u << idx)) {
				snprintf(err, errlen, "%s: line %d: section [%s] appears twice",
					 path, lineno, s);
				return -EINVAL;
			}
			seen_sections |= 1u << idx;
			snprintf(section, sizeof(section), "%s", s);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s: line %d: expected \"key = value\", got \"%s\"",
				 path, lineno, s);
			return -EINVAL;
		}
		*eq = '\0';
		s = trim(s);
		if (section[0] == '\0') {
			snprintf(err, errlen, "%s: line %d: key \"%s\" before any [section]",
				 path, lineno, s);
			return -EINVAL;
		}
		{
			const struct jw_cfg_key *k = jw_cfg_key_find(section, s);
			size_t idx;

			if (!k) {
				snprintf(err, errlen, "%s: line %d: [%s] unknown key \"%s\"", path,
					 lineno, section, s);
				return -EINVAL;
			}
			idx = (size_t)(k - jw_cfg_keys);
			if (seen_keys[idx]) {
				snprintf(err, errlen, "%s: line %d: [%s] %s is set twice", path,
					 lineno, section, s);
				return -EINVAL;
			}
			seen_keys[idx] = 1;
		}
		if (strlen(trim(eq + 1)) >= CFG_VALUE_LEN) {
			snprintf(err, errlen, "%s: line %d: [%s] %s: value longer than %d", path,
				 lineno, section, s, CFG_VALUE_LEN - 1);
			return -EINVAL;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		return -EIO;
	}
	return 0;
}

static int
apply_file(const char *path, struct jw_config *out, char *err, size_t errlen)
{
	struct rte_cfgfile_parameters params = { .comment_character = '#' };
	struct rte_cfgfile *cf;
	char msg[384];
	int r = 0;

	cf = rte_cfgfile_load_with_params(path, CFG_FLAG_EMPTY_VALUES, &params);
	if (!cf) {
		snprintf(err, errlen, "%s: rte_cfgfile could not parse it", path);
		return -EINVAL;
	}
	for (size_t s = 0; s < jw_cfg_nsections && r == 0; s++) {
		const char *sec = jw_cfg_sections[s];
		struct rte_cfgfile_entry *ents;
		int n = rte_cfgfile_section_num_entries(cf, sec);

		if (n <= 0)
			continue;
		ents = calloc((size_t)n, sizeof(*ents));
		if (!ents) {
			r = -ENOMEM;
			snprintf(err, errlen, "%s: out of memory", path);
			break;
		}
		n = rte_cfgfile_section_entries(cf, sec, ents, n);
		for (int i = 0; i < n && r == 0; i++) {
			r = jw_config_set(out, sec, ents[i].name, ents[i].value, msg, sizeof(msg));
			if (r < 0) {
				snprintf(err, errlen, "%s: %s", path, msg);
				r = -EINVAL;
			}
		}
		free(ents);
	}
	rte_cfgfile_close(cf);
	return r;
}

static int
apply_override(const char *ov, struct jw_config *out, char *err, size_t errlen)
{
	char buf[LINE_MAX_LEN];
	char msg[384];
	char *dot, *eq, *sec, *key;

	if (strlen(ov) >= sizeof(buf)) {
		snprintf(err, errlen, "--set: override longer than %zu", sizeof(buf) - 1);
		return -EINVAL;
	}
	memcpy(buf, ov, strlen(ov) + 1);
	eq = strchr(buf, '=');
	dot = strchr(buf, '.');
	if (!eq || !dot || dot > eq) {
		snprintf(err, errlen, "--set %s: expected section.key=value", ov);
		return -EINVAL;
	}
	*dot = '\0';
	*eq = '\0';
	sec = trim(buf);
	key = trim(dot + 1);
	if (jw_config_set(out, sec, key, trim(eq + 1), msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "--set %s: %s", ov, msg);
		return -EINVAL;
	}
	return 0;
}

int
jw_config_load(const char *path, const char *const *overrides, int n,
	       struct jw_config *out, char *err, size_t errlen)
{
	FILE *f;
	int r;

	jw_config_defaults(out);
	if (!path || !*path) {
		snprintf(err, errlen, "no configuration file given");
		return -EINVAL;
	}
	f = fopen(path, "r");
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return r;
	}
	r = check_structure(path, f, err, errlen);
	fclose(f);
	if (r < 0)
		return r;
	r = apply_file(path, out, err, errlen);
	if (r < 0)
		return r;
	for (int i = 0; i < n; i++) {
		r = apply_override(overrides[i], out, err, errlen);
		if (r < 0)
			return r;
	}
	snprintf(out->path, sizeof(out->path), "%s", path);
	return jw_config_finish(out, path, err, errlen);
}

int
jw_config_get(const struct jw_config *c, const char *section, const char *key, char *buf,
	      size_t len, int show_secrets)
{
	const struct jw_cfg_key *k = jw_cfg_key_find(section, key);

	if (!k)
		return -ENOENT;
	if ((k->flags & JW_CFG_F_SECRET) && !show_secrets) {
		const char *v = (const char *)c + k->off;

		return snprintf(buf, len, "%s", *v ? "<redacted>" : "") >= (int)len ? -ENOSPC : 0;
	}
	return jw_cfg_format(k, c, buf, len);
}

int
jw_config_foreach(const struct jw_config *c, jw_config_visit_fn fn, void *arg)
{
	char buf[JW_CONFIG_STR_MAX * 2];

	for (size_t i = 0; i < jw_cfg_nkeys; i++) {
		const struct jw_cfg_key *k = &jw_cfg_keys[i];
		int r;

		if (jw_config_get(c, k->section, k->key, buf, sizeof(buf), 0) < 0)
			buf[0] = '\0';
		r = fn(k->section, k->key, buf, arg);
		if (r)
			return r;
	}
	return 0;
}
