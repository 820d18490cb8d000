/* The test groups of the test_nats binary (one cmocka group per source file). */
#ifndef JW_TESTS_NATS_TESTS_H
#define JW_TESTS_NATS_TESTS_H

int run_validate_tests(void);
int run_enc_tests(void);
int run_puback_tests(void);
int run_parser_tests(void);
int run_cnats_equiv_tests(void);
int run_live_server_tests(void);

#endif
