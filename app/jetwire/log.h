/* jetwire's rte_log type ("jetwire"), registered by main() before anything logs. */
#ifndef JW_APP_LOG_H
#define JW_APP_LOG_H

#include <rte_log.h>

extern int jw_logtype;

#define JW_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, jw_logtype, "jetwire: " fmt "\n", ##__VA_ARGS__)

#endif /* JW_APP_LOG_H */
