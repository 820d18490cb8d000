#include "stats_tests.h"

int
main(void)
{
	int failed = 0;

	failed += run_hist_tests();
	failed += run_lcore_tests();
	failed += run_tunables_tests();
	failed += run_registry_tests();
	failed += run_json_tests();
	failed += run_shm_view_tests();
	failed += run_config_glue_tests();
	return failed ? 1 : 0;
}
