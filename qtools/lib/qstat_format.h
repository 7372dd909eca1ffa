/* The layouts qstat and pbsnodes print, as Torque 6.1 prints them
 * (cmds/qstat.c, cmds/pbsnodes.c): the default job table, the alternate
 * -a/-n/-r/-i table, -f blocks, -x XML, -Q and -B tables, node blocks.
 * Each formatter appends to a buffer so the unit tests can compare text. */
#ifndef CKMIG_QTOOLS_QSTAT_FORMAT_H
#define CKMIG_QTOOLS_QSTAT_FORMAT_H

#include "lib/util.h"
#include "qtools/lib/pbs_ifl.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QSTAT_LINESIZE 77   /* Torque's default wrap column for -f */

/* Default table: header (two lines) and one row per job. */
void qstat_job_header(struct buf *out);
void qstat_job_line(struct buf *out, const struct batch_status *job);

/* Alternate table (-a, -n, -s, -r, -i, -u): the "server: comment" header
 * and rows. ALT_N prints the exec_host under each row, ALT_S the comment. */
#define ALT_DISPLAY_A 0x1
#define ALT_DISPLAY_N 0x2
#define ALT_DISPLAY_S 0x4
#define ALT_DISPLAY_R 0x8
void qstat_alt_header(struct buf *out, const struct batch_status *server, int alt);
void qstat_alt_line(struct buf *out, const struct batch_status *job, int alt);

/* -f: "Job Id: ID" then "    name = value" lines wrapped at linesize on
 * commas (times as ctime), then a blank line. */
void qstat_job_full(struct buf *out, const struct batch_status *job, int linesize);
/* One attribute as prt_attr prints it (no trailing newline). */
void prt_attr(struct buf *out, const char *name, const char *resource, const char *value,
	      int linesize);

/* -x / -f -x: <?xml version="1.0"?> and <Data><Job>...</Job></Data> on one line. */
void qstat_xml_open(struct buf *out);
void qstat_job_xml(struct buf *out, const struct batch_status *job);   /* one <Job> */
void qstat_xml_close(struct buf *out);

/* -Q and -B tables and their -f forms. */
void qstat_que_header(struct buf *out);
void qstat_que_line(struct buf *out, const struct batch_status *q);
void qstat_que_full(struct buf *out, const struct batch_status *q, int linesize);
void qstat_srv_header(struct buf *out);
void qstat_srv_line(struct buf *out, const struct batch_status *s);
void qstat_srv_full(struct buf *out, const struct batch_status *s, int linesize);

/* pbsnodes: the block for one node ("name", "     attr = value"..., blank
 * line), the -l line, and -x XML for a list. */
void pbsnodes_node(struct buf *out, const struct batch_status *node);
void pbsnodes_list_line(struct buf *out, const struct batch_status *node, int with_note);
void pbsnodes_xml(struct buf *out, const struct batch_status *nodes);

/* HH:MM:SS for seconds. */
void format_hms(char *out, size_t len, long seconds);

#ifdef __cplusplus
}
#endif
#endif
