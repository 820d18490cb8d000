#include "telemetry_tests.h"

int
main(void)
{
	int failed = 0;

	failed += run_registry_tests();
	failed += run_shm_view_tests();
	failed += run_config_glue_tests();
	return failed ? 1 : 0;
}
