/* Groups of the test_stats binary (one per file). */
#ifndef JW_STATS_TESTS_H
#define JW_STATS_TESTS_H
int run_hist_tests(void);
int run_lcore_tests(void);
int run_tunables_tests(void);
int run_registry_tests(void);
int run_json_tests(void);
int run_shm_view_tests(void);
int run_config_glue_tests(void);
#endif
