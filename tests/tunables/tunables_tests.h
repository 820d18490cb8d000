/* Groups of the test_tunables binary (one per file). */
#ifndef JW_TUNABLES_TESTS_H
#define JW_TUNABLES_TESTS_H
int run_tunables_tests(void);
#endif
