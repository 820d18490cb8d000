/* Groups of the test_flow binary (one binary per lib module). */
#ifndef JW_TEST_FLOW_H
#define JW_TEST_FLOW_H
int run_ident_tests(void);
int run_share_tests(void);
#endif
