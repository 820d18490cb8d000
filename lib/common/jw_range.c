/* List items N and N-M (jw_range.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "common/jw_range.h"

int
jw_range_item(const char **pp, unsigned long *lo, unsigned long *hi)
{
	const char *p = *pp;
	char *end;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	*lo = strtoul(p, &end, 10);
	*hi = *lo;
	p = end;
	if (*p == '-') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			*pp = p;
			return -EDOM;
		}
		*hi = strtoul(p, &end, 10);
		p = end;
	}
	*pp = p;
	return 0;
}
