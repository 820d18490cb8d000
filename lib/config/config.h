/* jetwire configuration loader (INI files read with rte_cfgfile).
 *
 * File format: `[section]` lines and `key = value` lines; `#` starts a comment anywhere on
 * a line; blank lines are ignored. Every section and key must be known (see
 * config_schema.c or `jetwire --help-config`); an unknown one, a duplicate, or a value that
 * does not parse or is out of range is an error. Overrides "section.key=value" (from
 * `jetwire --set`) are applied after the file, in order, with the same checks.
 *
 * Error messages name the source (file path, or "--set section.key=value"), the key and
 * the problem, e.g.
 *   dpdk-config/x.conf: [net] addr = "198.18.0.300/24": not an IPv4 address/prefix
 *
 * No call here needs EAL; all are safe to call before rte_eal_init(). Not thread-safe
 * against concurrent writers of the same struct; a loaded struct is read-only after.
 */
#ifndef JW_CONFIG_H
#define JW_CONFIG_H

#include <stddef.h>

#include "config/config-t.h"

/* Fill *out with every default. Defaults alone do not validate: [port] needs vdev or pci
 * and [net] needs addr. */
void jw_config_defaults(struct jw_config *out);

/* Load `path`, apply `n` overrides ("section.key=value"), fill derived values and validate
 * across keys. Returns 0, or a negative errno with a one-line message in err:
 *   -ENOENT/-EACCES/...  the file cannot be read
 *   -EINVAL              syntax error, unknown section/key, bad value, inconsistent keys
 * On error *out is unspecified. `overrides` may be NULL when n == 0. */
int jw_config_load(const char *path, const char *const *overrides, int n,
		   struct jw_config *out, char *err, size_t errlen);

/* Set one key from its string form, as a file line or an override would. Cross-key
 * validation is not redone; call jw_config_finish() after the last change.
 * Returns 0, -ENOENT (unknown section/key, with a message) or -EINVAL (bad value). */
int jw_config_set(struct jw_config *c, const char *section, const char *key,
		  const char *value, char *err, size_t errlen);

/* Compute derived values and validate across keys (cores vs lcores and queues, window
 * bounds, addresses). jw_config_load() calls it. Returns 0 or -EINVAL with a message
 * naming the keys. `source` names the origin in messages (e.g. the path). */
int jw_config_finish(struct jw_config *c, const char *source, char *err, size_t errlen);

/* Format one key's current value as it would be written in a file ("" for an unset
 * optional value; secrets such as nats.password as "<redacted>" unless show_secrets).
 * Returns 0, -ENOENT for an unknown key, -ENOSPC if buf is too small. */
int jw_config_get(const struct jw_config *c, const char *section, const char *key,
		  char *buf, size_t len, int show_secrets);

/* Visit every (section, key, value) in schema order, values as jw_config_get() formats
 * them with secrets redacted. Stops at the first non-zero return of fn and returns it;
 * returns 0 after the last key. */
int jw_config_foreach(const struct jw_config *c, jw_config_visit_fn fn, void *arg);

/* True if lcore id is one of the EAL lcores named by [eal] lcores. */
int jw_config_has_lcore(const struct jw_config *c, unsigned int lcore);

/* Parse an EAL --lcores string ("(0-2)@(0-1)", "0@0,1@1", "1,2@(5-7),(3-5)@(0,2)") into
 * a mask of lcore ids (bit i of mask[i/64]); every CPU named after '@' (or the lcore
 * itself when there is no '@') must be below ncpus. Returns 0, or -EINVAL with a message. */
int jw_config_parse_lcores(const char *s, unsigned int ncpus, uint64_t *mask,
			   char *err, size_t errlen);

#endif /* JW_CONFIG_H */
