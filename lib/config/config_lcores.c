/* Parsing of the EAL --lcores syntax, to know which lcore ids exist before EAL runs:
 *   element  := set [ '@' set ]        elements are separated by ',' outside parentheses
 *   set      := N | N-M | '(' item { ',' item } ')'      item := N | N-M
 * An element without '@' maps each lcore to the CPU of the same number. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/jw_range.h"
#include "config/config.h"

#define WHY(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

/* Parse one set at *pp into bits of out (ids < limit). Advances *pp past it. */
static int
parse_set(const char **pp, uint64_t *out, unsigned int limit, const char *what,
	  char *err, size_t errlen)
{
	const char *p = *pp;
	int group = *p == '(';

	if (group)
		p++;
	for (;;) {
		unsigned long a, b;
		int r = jw_range_item(&p, &a, &b);

		if (r == -EINVAL)
			return WHY("expected a number at \"%s\"", p);
		if (r < 0)
			return WHY("bad range at \"%s\"", p);
		if (a > b)
			return WHY("reversed range %lu-%lu", a, b);
		if (b >= limit)
			return WHY("%s %lu does not exist (only 0..%u)", what, b, limit - 1);
		for (unsigned long i = a; i <= b; i++)
			out[i / 64] |= 1ull << (i % 64);
		if (!group || *p != ',')
			break;
		p++;
	}
	if (group) {
		if (*p != ')')
			return WHY("missing ')'");
		p++;
	}
	*pp = p;
	return 0;
}

int
jw_config_parse_lcores(const char *s, unsigned int ncpus, uint64_t *mask, char *err,
		       size_t errlen)
{
	const char *p = s;
	unsigned int words = JW_CONFIG_MAX_LCORES / 64;

	memset(mask, 0, words * sizeof(*mask));
	if (*p == '\0')
		return WHY("empty");
	for (;;) {
		uint64_t lc[JW_CONFIG_MAX_LCORES / 64] = { 0 };
		uint64_t cpus[JW_CONFIG_MAX_LCORES / 64] = { 0 };
		int r;

		r = parse_set(&p, lc, JW_CONFIG_MAX_LCORES, "lcore", err, errlen);
		if (r < 0)
			return r;
		if (*p == '@') {
			p++;
			r = parse_set(&p, cpus, ncpus < JW_CONFIG_MAX_LCORES ? ncpus :
				      JW_CONFIG_MAX_LCORES, "CPU", err, errlen);
			if (r < 0)
				return r;
		} else {
			for (unsigned int w = 0; w < words; w++)
				for (unsigned int b = 0; b < 64; b++)
					if ((lc[w] >> b & 1) && w * 64 + b >= ncpus)
						return WHY("lcore %u has no '@' and CPU %u does not "
							   "exist (only 0..%u)", w * 64 + b,
							   w * 64 + b, ncpus - 1);
		}
		for (unsigned int w = 0; w < words; w++) {
			if (mask[w] & lc[w])
				return WHY("an lcore is named twice");
			mask[w] |= lc[w];
		}
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return WHY("unexpected \"%s\"", p);
		p++;
	}
}

int
jw_config_has_lcore(const struct jw_config *c, unsigned int lcore)
{
	return lcore < JW_CONFIG_MAX_LCORES && (c->eal.lcore_mask[lcore / 64] >> (lcore % 64) & 1);
}
