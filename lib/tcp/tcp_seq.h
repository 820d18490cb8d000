/* Wrap-safe TCP sequence-number comparisons (RFC 9293 §3.4).
 *
 * Sequence numbers live on a 2^32 circle; a < b means "b is ahead of a by less than 2^31".
 * The macros accept any uint32_t values; two numbers exactly 2^31 apart compare as
 * "a < b" in both directions' negation (neither is reliably ahead), which TCP never needs
 * because windows are far smaller than 2^31.
 */
#ifndef JW_TCP_SEQ_H
#define JW_TCP_SEQ_H

#include <stdint.h>

#define SEQ_DIFF(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))
#define SEQ_LT(a, b)   (SEQ_DIFF(a, b) < 0)
#define SEQ_LEQ(a, b)  (SEQ_DIFF(a, b) <= 0)
#define SEQ_GT(a, b)   (SEQ_DIFF(a, b) > 0)
#define SEQ_GEQ(a, b)  (SEQ_DIFF(a, b) >= 0)
#define SEQ_MAX(a, b)  (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b)  (SEQ_LT(a, b) ? (a) : (b))
/* a <= x < b on the circle. */
#define SEQ_IN(x, a, b) (SEQ_LEQ(a, x) && SEQ_LT(x, b))

#endif /* JW_TCP_SEQ_H */
