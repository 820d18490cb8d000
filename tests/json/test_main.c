#include "json_tests.h"

int
main(void)
{
	int failed = 0;

	failed += run_json_tests();
	return failed ? 1 : 0;
}
