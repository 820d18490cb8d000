#include <errno.h>
#include <string.h>

#include "nats/nats_validate.h"

int
nats_subject_check(const char *s, size_t len)
{
	size_t n;

	return nats_subject_walk(s, len, false, &n);
}

static const char hdr_prefix[] = "NATS/1.0\r\n";

int
nats_hdr_check(const char *h, size_t len)
{
	size_t i = sizeof(hdr_prefix) - 1;

	if (len == 0)
		return 0;
	if (h == NULL)
		return -EINVAL;
	if (len > NATS_HDR_MAX)
		return -E2BIG;
	if (len < i + 2 || memcmp(h, hdr_prefix, i) != 0)
		return -EINVAL;
	while (i < len) {
		size_t name_start = i;

		if (len - i == 2)
			return (h[i] == '\r' && h[i + 1] == '\n') ? 0 : -EINVAL;
		while (i < len && h[i] != ':') {
			unsigned char c = (unsigned char)h[i];
			if (c <= ' ' || c >= 0x7f)
				return -EINVAL;
			i++;
		}
		if (i == len || i == name_start)
			return -EINVAL;
		i++; /* ':' */
		while (i < len && h[i] != '\r') {
			if (h[i] == '\n' || h[i] == '\0')
				return -EINVAL;
			i++;
		}
		if (i + 1 >= len || h[i + 1] != '\n')
			return -EINVAL;
		i += 2;
	}
	return -EINVAL; /* no terminating blank line */
}
