/* Groups of the test_telemetry binary (one per file). */
#ifndef JW_TELEMETRY_TESTS_H
#define JW_TELEMETRY_TESTS_H
int run_registry_tests(void);
int run_shm_view_tests(void);
int run_config_glue_tests(void);
#endif
