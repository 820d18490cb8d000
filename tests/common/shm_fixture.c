/* Shared-memory fixtures (fixtures.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "../common/fixtures.h"
#include "shm/shm.h"

const char *
jwt_instance_name(char *buf, size_t len, const char *tag)
{
	static int n;

	snprintf(buf, len, "%s%d-%d", tag, (int)getpid(), n++);
	return buf;
}

struct jw_shm *
jwt_shm_mk(const char *inst, uint32_t n_tx, uint32_t spt, uint32_t ring, uint32_t reps)
{
	struct jw_shm_params p = { .instance = inst, .n_tx = n_tx, .slots_per_tx = spt,
				   .ring_bytes = ring, .report_entries = reps };
	char err[256] = "";
	struct jw_shm *shm = jw_shm_create(&p, err, sizeof(err));

	if (shm == NULL)
		fprintf(stderr, "jw_shm_create: %s\n", err);
	assert_non_null(shm);
	return shm;
}
