/* jwstat --json: one JSON object per sample. */
#include "jwstat.h"

void
jwstat_print_json(FILE *f, const struct jwstat_sample *cur, const struct jwstat_sample *prev,
		  const char *instance)
{
	static const char *const rated[] = { "accepted", "sent", "acked", "failed_total",
					     "resends", "rejected_total", "bytes", "wire_bytes",
					     "published" };
	const struct jw_json *st = cur->v[Q_STATS], *pst = prev ? prev->v[Q_STATS] : NULL;
	double dt = prev ? cur->t - prev->t
			 : (double)jw_u64(cur->v[Q_INFO], "uptime_ns") / 1e9;
	unsigned i;

	fputs("{\"instance\":", f);
	jw_json_write_string(f, jw_json_str(jw_json_get(cur->v[Q_INFO], "instance"), instance));
	for (i = 0; i < Q__COUNT; i++) {
		fprintf(f, ",\"%s\":", jwstat_cmd_keys[i]);
		if (cur->v[i] != NULL)
			jw_json_write(f, cur->v[i]);
		else
			fputs("null", f);
	}
	/* Rates per second since the previous sample (or since start for the first one). */
	fprintf(f, ",\"rates\":{\"interval_s\":%.3f", dt);
	for (i = 0; i < sizeof(rated) / sizeof(rated[0]); i++)
		fprintf(f, ",\"%s_per_s\":%.3f", rated[i], st ? jw_rate(st, pst, rated[i], dt) : 0.0);
	fputs("}}\n", f);
}
