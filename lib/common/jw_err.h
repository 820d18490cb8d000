/* Error messages for callers that pass an (err, errlen) buffer.
 * DPDK-free: the producer library uses it too. */
#ifndef JW_ERR_H
#define JW_ERR_H

#include <stddef.h>

/* Formats a message into err (at most errlen bytes, always terminated).
 * Accepts err == NULL or errlen == 0, for callers that do not want the text. */
void jw_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* JW_ERR_H */
