/* jetwire common definitions shared by every lib/ module.
 *
 * Error convention across lib/:
 *   - a call that returns int returns 0 on success or a negative errno-style code
 *     (-EINVAL, -ENOMEM, -EAGAIN, -E2BIG, -ENOSPC, -EPROTO, ...);
 *   - a burst call returns how many items it handled (0..n), never a negative value;
 *   - a constructor returns a pointer, or NULL with errno set.
 * The public producer API (lib/include/jetwire.h) maps these onto its JW_E* codes.
 *
 * lib/ never prints and never exits: it returns codes and counts; app/ decides policy.
 *
 * This header must stay free of DPDK and liburcu includes: the producer library uses it.
 */
#ifndef JW_COMMON_H
#define JW_COMMON_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define JW_CACHE_LINE 64
#define jw_cache_aligned __attribute__((aligned(JW_CACHE_LINE)))

#define jw_likely(x)   __builtin_expect(!!(x), 1)
#define jw_unlikely(x) __builtin_expect(!!(x), 0)

#define JW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define JW_MIN(a, b) ((a) < (b) ? (a) : (b))
#define JW_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Round x up to a multiple of the power of two a. */
#define JW_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

#endif /* JW_COMMON_H */
