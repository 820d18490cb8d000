/* test_nats: runs every cmocka group of the NATS codec tests; fails if any group fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "nats_tests.h"

int
main(void)
{
	int failed = 0;

	failed += run_validate_tests();
	failed += run_enc_tests();
	failed += run_puback_tests();
	failed += run_parser_tests();
	failed += run_cnats_equiv_tests();
	failed += run_live_server_tests();
	return failed ? 1 : 0;
}
