/* Internal to lib/config: the table of every key, and the typed value parsers/formatters. */
#ifndef JW_CONFIG_SCHEMA_H
#define JW_CONFIG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "config/config-t.h"

enum jw_cfg_type {
	JW_CFG_STR,     /* free text up to size-1 bytes */
	JW_CFG_NAME,    /* [A-Za-z0-9_.-]+ (used in file names), up to size-1 bytes */
	JW_CFG_U32,     /* decimal, min..max */
	JW_CFG_U64,     /* decimal */
	JW_CFG_SIZE,    /* decimal with optional K/M/G (binary) suffix, min..max */
	JW_CFG_BOOL,    /* yes/no, on/off, true/false, 1/0 */
	JW_CFG_TRI,     /* auto/on/off (yes = on, no = off) */
	JW_CFG_DEDUPE,  /* msgid/off */
	JW_CFG_WINDOW,  /* adaptive or a count min..max (stored 0 for adaptive) */
	JW_CFG_LOGLEVEL,/* emergency..debug or 1..8 */
	JW_CFG_OCTAL,   /* permission bits, e.g. 0660 */
	JW_CFG_PROB,    /* probability 0..1 */
	JW_CFG_IPV4,    /* dotted quad; empty = unset (0) */
	JW_CFG_PREFIX,  /* a.b.c.d/len */
	JW_CFG_SERVERS, /* comma list of nats://a.b.c.d[:port] or tls://a.b.c.d[:port] */
	JW_CFG_LCORES,  /* comma list of lcore ids or ranges a-b */
	JW_CFG_TLSMODE, /* off/required/auto */
	JW_CFG_TLSVER,  /* 1.2/1.3 (stored as 0x0303/0x0304) */
};

#define JW_CFG_F_SECRET 0x1u /* redacted in dumps */
#define JW_CFG_F_POW2   0x2u /* must be a power of two */

struct jw_cfg_key {
	const char *section;
	const char *key;
	enum jw_cfg_type type;
	size_t off;          /* offset of the field in struct jw_config */
	size_t size;         /* size of the field (string capacity) */
	uint64_t min, max;   /* numeric bounds (inclusive) */
	unsigned int flags;
	const char *def;     /* default, in file syntax; NULL = empty / derived */
};

extern const struct jw_cfg_key jw_cfg_keys[];
extern const size_t jw_cfg_nkeys;
extern const char *const jw_cfg_sections[];
extern const size_t jw_cfg_nsections;

const struct jw_cfg_key *jw_cfg_key_find(const char *section, const char *key);
int jw_cfg_section_known(const char *section);

/* Parse `value` for key k into the field at base + k->off. Returns 0 or -EINVAL with the
 * reason (without key or source) in why. */
int jw_cfg_parse(const struct jw_cfg_key *k, const char *value, void *base,
		 char *why, size_t whylen);

/* Format the field of key k. Returns 0 or -ENOSPC. */
int jw_cfg_format(const struct jw_cfg_key *k, const void *base, char *buf, size_t len);

/* Parse a dotted-quad IPv4 literal strictly (four decimal parts 0..255, no leading zeros
 * beyond "0"). Returns 0 and the address in network byte order, or -EINVAL. */
int jw_cfg_parse_ipv4(const char *s, size_t len, uint32_t *ip_be);

#endif /* JW_CONFIG_SCHEMA_H */
