/* Fixtures shared by the unit tests (tests/<mod>/), linked into every test binary.
 * Each returns what it made or fails the running cmocka test; names are unique per process
 * (pid), because other test runs may use the same machine at the same time. */
#ifndef JW_TESTS_FIXTURES_H
#define JW_TESTS_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

struct jw_shm;
struct jw_stats_lcore;
struct rte_mempool;

/* A fresh shared-memory instance name "<tag><pid>-<n>" in buf (at most len bytes); returns
 * buf. */
const char *jwt_instance_name(char *buf, size_t len, const char *tag);

/* jw_shm_create of instance inst with n_tx ring sets of spt slots, ring bytes and report
 * entries; fails the test (printing the reason) when the creation fails. */
struct jw_shm *jwt_shm_mk(const char *inst, uint32_t n_tx, uint32_t spt, uint32_t ring,
			  uint32_t reps);

/* EAL for a unit test that needs mbufs but no device: --no-huge --no-pci -m 64,
 * --file-prefix=jwtest-<name>-<pid>, no shared config, no telemetry, errors-only log; then a
 * pktmbuf pool of n mbufs named name. Returns 0, or -1 (cmocka group setup convention). */
int jwt_eal_setup(const char *name, unsigned n, struct rte_mempool **pool);

/* Frees pool (may be NULL) and cleans EAL up; 0 (cmocka group teardown convention). */
int jwt_eal_teardown(struct rte_mempool *pool);

/* The known synthetic run the stats tests and the synthetic telemetry instance share, on
 * three registered blocks: 1000 records accepted and sent (128 payload bytes, 180 on the
 * wire each) alternating tx0/tx1 with ring waits 0..999 and 1000 loop iterations of 10
 * cycles (3 of 4 busy); 7 bursts and 30 mbufs in flight on tx0; 11 resends (1100 bytes) on
 * tx1; on ctl 990 acks (7 duplicates, latencies 50000..50989 ns), 2 timeouts, 1 no-stream
 * failure, 2 reconnects. */
void jwt_stats_known_run(struct jw_stats_lcore *tx0, struct jw_stats_lcore *tx1,
			 struct jw_stats_lcore *ctl);

#endif /* JW_TESTS_FIXTURES_H */
