/* jetwire's one rule for memory shared between threads or processes, and the single-writer
 * counter increment every module uses. DPDK-free (the producer library uses it).
 *
 * The rule
 *   1. A field that two threads of one process touch, at least one of them writing, is
 *      declared _Atomic and accessed only with the explicit <stdatomic.h> calls
 *      (atomic_load_explicit, atomic_store_explicit, atomic_fetch_*_explicit,
 *      atomic_compare_exchange_*_explicit, atomic_thread_fence) naming the order. No plain
 *      access, no implicit seq_cst operators (x++, x = v) on _Atomic objects.
 *   2. Only two kinds of plain-typed memory are shared, and they use the __atomic builtins
 *      instead, with the same orders: lib/shm's layout (shm-t.h; producer processes and Go
 *      read the same bytes, so its fields keep fixed plain types) and the stats counter blocks
 *      (stats-t.h; the same structs are the readers' plain copies). Their accessors live next
 *      to the layout (shm.h, shm_consumer.c) or here (jw_stat_*).
 *   2b. Pointers published to RCU readers use liburcu's rcu_assign_pointer /
 *      rcu_xchg_pointer (release) and rcu_dereference (consume) and nothing else.
 *   3. No DPDK atomics or barriers (rte_atomic*, rte_smp_*mb, rte_atomic_thread_fence): DPDK
 *      itself deprecates them for C11 atomics, and one vocabulary is easier to audit.
 *   4. Every acquire names the release it pairs with, and the release names its acquire, in
 *      a comment at both places ("pairs with the release in X"); relaxed accesses say why no
 *      order is needed when it is not obvious (lib/shm is the model).
 *   5. A structure shared between threads carries a table of which calls may run
 *      concurrently, next to its type.
 *
 * Single-writer counters
 * Every counter has exactly one writer thread. The writer adds with a relaxed load of its own
 * value and a relaxed store of the sum: on x86-64 a plain load, add and store (no lock
 * prefix, no contention), so the data path pays what a non-atomic increment costs, and the
 * compiler may neither tear nor invent the stores. Readers on other threads load with
 * relaxed order and see some recent value, never a torn one. No acquire/release pairs are
 * needed: readers only report counters and never use one to reason about other memory, so a
 * total over several counters is "a recent value of each", not an atomic snapshot.
 *
 * Concurrency table:
 *   jw_ctr_add / JW_INC / jw_stat_add / jw_stat_set   only the owning thread of the counter
 *   jw_stat_read, atomic_load_explicit(relaxed)       any thread, concurrently with the writer
 */
#ifndef JW_ATOMIC_H
#define JW_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

/* Adds n to an _Atomic counter this thread owns (rule 1). Accepts any n; wraps mod 2^64. */
static inline void
jw_ctr_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* Adds one to the _Atomic counter lvalue ctr (a field, not a pointer). */
#define JW_INC(ctr) jw_ctr_add(&(ctr), 1)

/* Adds n to a plain counter of a stats block this thread owns (rule 2). */
static inline void
jw_stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* Sets a plain gauge this thread owns. */
static inline void
jw_stat_set(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

/* Reads a plain counter from any thread. */
static inline uint64_t
jw_stat_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif /* JW_ATOMIC_H */
