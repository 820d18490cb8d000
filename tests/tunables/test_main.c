#include "tunables_tests.h"

int
main(void)
{
	int failed = 0;

	failed += run_tunables_tests();
	return failed ? 1 : 0;
}
