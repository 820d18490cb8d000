/* Groups of the test_stats binary (one per file). */
#ifndef JW_STATS_TESTS_H
#define JW_STATS_TESTS_H
int run_hist_tests(void);
int run_lcore_tests(void);
#endif
