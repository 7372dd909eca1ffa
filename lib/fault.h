/* Fault points (CRIU's CRIU_FAULT is the model): CKMIG_FAULT=N in a
 * component's environment makes it SIGKILL itself when it reaches point
 * N, so a test can crash every step of a checkpoint, a hold, a migration
 * and a restart and check what the restarted component makes of it.
 * With CKMIG_FAULT_LOG=FILE it also appends "N PID" to FILE first.
 * Unset (the normal case) a fault point costs one cached integer test.
 * The numbers are the table below; NOTES section 15 lists them too. */
#ifndef CKMIG_LIB_FAULT_H
#define CKMIG_LIB_FAULT_H

#ifdef __cplusplus
extern "C" {
#endif

enum fault_point {
	/* server/: the job file holds the new migration_state (svr_ckmig.c) */
	FAULT_SVR_PENDING = 111,        /* qmigrate accepted, not yet relayed */
	FAULT_SVR_CHECKPOINTING = 112,  /* checkpoint asked of the MOM */
	FAULT_SVR_STOPPING = 113,       /* the MOM answered: checkpoint taken */
	FAULT_SVR_CHECKPOINTED = 114,   /* requeued/held after the obit */
	FAULT_SVR_RESTARTING = 115,     /* restart being sent to a MOM */
	FAULT_SVR_START_ANSWERED = 116, /* the MOM answered a start (it runs), not yet recorded */
	/* mom/ */
	FAULT_MOM_CKPT_REQUEST = 201,   /* hold/checkpoint request taken, no script yet */
	FAULT_MOM_CKPT_RUNNING = 202,   /* checkpoint script started */
	FAULT_MOM_CKPT_DONE = 203,      /* script done, nothing told to the server */
	FAULT_MOM_CKPT_ANSWERED = 204,  /* answered, checkpoint_hold not yet sent */
	FAULT_MOM_CKPT_REPORTED = 205,  /* checkpoint_hold sent, obit not yet */
	FAULT_MOM_RESTART_QUEUED = 206, /* restart QueueJob taken, nothing started */
	FAULT_MOM_RESTART_STARTED = 207,/* restart task started, not yet answered */
	FAULT_MOM_XFER_START = 208,     /* node-local move: final dump taken, job stopped, no copy yet */
	FAULT_MOM_XFER_RECEIVED = 209,  /* target: the first chunk of a copy written, not committed */
	/* checkpoint/: cr_checkpoint and cr_restart */
	FAULT_CKPT_BEFORE_DUMP = 301,   /* before CRIU dumps the job */
	FAULT_CKPT_DUMPED = 302,        /* images written, not committed */
	FAULT_CKPT_COMMITTED = 303,     /* committed, the job not yet signalled */
	FAULT_CKPT_PRECOPIED = 304,     /* --live: a pre-copy round written, the job running */
	FAULT_CKPT_PREPARED = 305,      /* checks done, the temporary directory not yet made */
	FAULT_CKPT_PAGES_SENT = 306,    /* --postcopy: pages sent to a target, not all yet */
	FAULT_RESTART_VERIFIED = 311,   /* manifest and images checked, no restore yet */
	FAULT_RESTART_OPENED = 312,     /* checkpoint opened, a context file not yet unpacked */
	FAULT_RESTART_LAZY_RUNNING = 313, /* --lazy/--pages-from: the job resumed, pages still coming */
	/* 314: restart_script, arguments and output checked, before cr_restart
	 * (mom/scripts/script_lib.tcl's fault_point; no C caller) */
	FAULT_RESTART_SCRIPT = 314,
};

/* SIGKILL this process if CKMIG_FAULT names point n (a line on stderr first).
 * Tests only: CKMIG_PAUSE=N:GATE instead pauses at point N (test_gate), so
 * that a test acts at exactly that moment of a command, whatever the
 * machine's speed (swaps a name for a link, cuts a link). */
void fault_point(int n);

/* Makes GATE.reached (a new file, never through a link: root makes it in a
 * test's directory), then waits until GATE exists. */
void test_gate(const char *gate);

#ifdef __cplusplus
}
#endif
#endif
