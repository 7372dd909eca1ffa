/* Resource values as Torque reads them, and the resource names a job may
 * ask for: one reading for qsub/qalter and the server. Pure functions. */
#ifndef CKMIG_LIB_RESC_VALUE_H
#define CKMIG_LIB_RESC_VALUE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "[[HH:]MM:]SS[.frac]" or plain seconds -> seconds; -1 if malformed. */
long parse_time_value(const char *s);
/* "N[b|w|kb|kw|mb|mw|gb|gw|tb|tw]" (case-insensitive) -> bytes; -1 if bad. */
long long parse_size_value(const char *s);
/* Torque node spec: "spec[+spec]..." where spec is "N" or a host name,
 * followed by ":ppn=N", ":gpus=N" or ":property" items. 0 or -1. */
int check_node_spec(const char *s);
/* The value of a known resource (time, size, count, node spec) parses;
 * 0, or -1 with "illegal value for resource NAME: VALUE" in err. */
int resc_value_check(const char *name, const char *value, char *err, size_t errlen);
/* Is name a resource a job may ask for (Torque's resc_def_all)? */
int resc_known(const char *name);
enum { RESC_OTHER, RESC_TIME, RESC_SIZE, RESC_COUNT, RESC_NODES };
int resc_kind(const char *name);

#ifdef __cplusplus
}
#endif
#endif
