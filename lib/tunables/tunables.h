/* lib/tunables: runtime tunables, published through RCU (liburcu QSBR).
 *
 * The engine's TX and control loops read the current set with jw_tunables_current() while
 * they are online QSBR readers (between two rcu_quiescent_state() calls) and must not keep
 * the pointer across a quiescent state. The telemetry command /jetwire/set (or any thread)
 * changes them with jw_tunables_update(): it copies the current set, applies the changes,
 * validates the whole set, publishes the new struct with rcu_xchg_pointer, waits for a grace
 * period (synchronize_rcu) and frees the old one.
 *
 * Concurrency table:
 *   jw_tunables_init / jw_tunables_fini  once, before readers start / after they stopped
 *   jw_tunables_current                  QSBR-registered online threads, any number
 *   jw_tunables_update / _snapshot       any thread that is not inside an RCU read-side
 *                                        section; updates are serialised by a mutex
 *   jw_tunables_validate / _parse        pure functions, any thread
 * Ordering: rcu_xchg_pointer (release, full barrier) in update pairs with rcu_dereference
 * (consume) in jw_tunables_current: a reader that sees the new pointer sees its fields.
 */
#ifndef JW_TUNABLES_H
#define JW_TUNABLES_H

#include <stddef.h>
#include <stdint.h>

#include <urcu/pointer.h>

struct jw_tunables {
	uint32_t window_min;     /* JetStream window lower bound, publishes (>= 1) */
	uint32_t window_max;     /* upper bound (>= window_min, <= the window capacity);
				  * window_min == window_max fixes the window */
	uint32_t ack_timeout_ms; /* PubAck timeout before a resend, 10 .. 600000 */
	uint32_t ack_target_us;  /* ack latency the adaptive window aims at, 10 .. 10000000 */
	uint64_t generation;     /* 1 for the initial set, +1 per applied change */
};

/* The same bounds as the [flow] keys of lib/config. */
#define JW_TUNABLES_ACK_TIMEOUT_MIN_MS 10u
#define JW_TUNABLES_ACK_TIMEOUT_MAX_MS 600000u
#define JW_TUNABLES_ACK_TARGET_MIN_US  0u /* 0 = no latency ceiling */
#define JW_TUNABLES_ACK_TARGET_MAX_US  10000000u

/* The RCU-published current set (read it with jw_tunables_current()). */
extern struct jw_tunables *jw_tunables_rcu_ptr;

/* Current tunables, or NULL before jw_tunables_init. Online QSBR readers only; the result
 * is valid until the caller's next quiescent state. */
static inline const struct jw_tunables *
jw_tunables_current(void)
{
	return rcu_dereference(jw_tunables_rcu_ptr);
}

/* Check a whole set against the bounds above and window_cap (the largest window the
 * pending array can hold). Returns 0, or -EINVAL with a one-line reason in err. */
int jw_tunables_validate(const struct jw_tunables *t, uint32_t window_cap, char *err,
			 size_t errlen);

/* Apply "key=value" pairs separated by ',' or spaces to *t (keys: window_min, window_max,
 * ack_timeout_ms, ack_target_us; values: decimal, 0 .. 2^32-1, nothing else). Rejects empty
 * input, input longer than 256 bytes, unknown or repeated keys, bad numbers (-EINVAL, with
 * the reason in err; *t is then unchanged). Does not validate the resulting set. */
int jw_tunables_parse(const char *params, struct jw_tunables *t, char *err, size_t errlen);

/* Publish the initial set. Rejects an invalid set or window_cap 0 (-EINVAL, reason in err),
 * a second init (-EALREADY); -ENOMEM. */
int jw_tunables_init(const struct jw_tunables *initial, uint32_t window_cap, char *err,
		     size_t errlen);

/* Parse params, apply them to a copy of the current set, validate, publish, wait for a
 * grace period and free the old set. On success *applied (if not NULL) holds the new set.
 * Errors: -ENOENT before init, -EINVAL (reason in err; the current set is untouched, and
 * the rejected-update counter increases), -ENOMEM. */
int jw_tunables_update(const char *params, struct jw_tunables *applied, char *err,
		       size_t errlen);

/* Copy of the current set (0, or -ENOENT before init); from threads not in a read section. */
int jw_tunables_snapshot(struct jw_tunables *out);

/* Window capacity given at init (0 before). */
uint32_t jw_tunables_window_cap(void);

/* Updates applied / rejected since start. */
uint64_t jw_tunables_updates_applied(void);
uint64_t jw_tunables_updates_rejected(void);

/* Unpublish and free the current set after a grace period. */
void jw_tunables_fini(void);

#endif /* JW_TUNABLES_H */
