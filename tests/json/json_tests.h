/* Groups of the test_json binary (one per file). */
#ifndef JW_JSON_TESTS_H
#define JW_JSON_TESTS_H
int run_json_tests(void);
#endif
