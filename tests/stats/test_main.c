#include "stats_tests.h"

int
main(void)
{
	int failed = 0;

	failed += run_hist_tests();
	failed += run_lcore_tests();
	return failed ? 1 : 0;
}
