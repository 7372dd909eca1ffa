/* Torque's names and numbers for what users and peers see: attribute
 * names (pbs_ifl.h), job states and substates, the server's per-job flags
 * (ji_svrflags, pbs_job.h), hold bits, node states, and MOM exit codes.
 * Values are Torque's exactly so logs and job files read the same. */
#ifndef CKMIG_LIB_ATTR_NAMES_H
#define CKMIG_LIB_ATTR_NAMES_H

/* --- job attributes (qstat -f names) ----------------------------------- */
#define ATTR_a              "Execution_Time"
#define ATTR_c              "Checkpoint"        /* qsub -c: n,c,s,u,enabled,... */
#define ATTR_e              "Error_Path"
#define ATTR_g              "group_list"
#define ATTR_h              "Hold_Types"
#define ATTR_j              "Join_Path"
#define ATTR_k              "Keep_Files"
#define ATTR_l              "Resource_List"
#define ATTR_m              "Mail_Points"
#define ATTR_o              "Output_Path"
#define ATTR_p              "Priority"
#define ATTR_q              "destination"
#define ATTR_r              "Rerunable"
#define ATTR_u              "User_List"
#define ATTR_v              "Variable_List"
#define ATTR_A              "Account_Name"
#define ATTR_M              "Mail_Users"
#define ATTR_N              "Job_Name"
#define ATTR_S              "Shell_Path_List"
#define ATTR_depend         "depend"
#define ATTR_ctime          "ctime"
#define ATTR_exechost       "exec_host"
#define ATTR_mtime          "mtime"
#define ATTR_qtime          "qtime"
#define ATTR_etime          "etime"
#define ATTR_start_time     "start_time"
#define ATTR_comp_time      "comp_time"
#define ATTR_start_count    "start_count"
#define ATTR_session        "session_id"
#define ATTR_euser          "euser"
#define ATTR_egroup         "egroup"
#define ATTR_substate       "substate"
#define ATTR_owner          "Job_Owner"
#define ATTR_used           "resources_used"
#define ATTR_state          "job_state"
#define ATTR_queue          "queue"
#define ATTR_server         "server"
#define ATTR_comment        "comment"
#define ATTR_exitstat       "exit_status"
#define ATTR_submit_args    "submit_args"
#define ATTR_submit_host    "submit_host"
#define ATTR_init_work_dir  "init_work_dir"
#define ATTR_checkpoint_dir "checkpoint_dir"
#define ATTR_checkpoint_name "checkpoint_name"
#define ATTR_checkpoint_time "checkpoint_time"
#define ATTR_restart_name   "restart_name"
#define ATTR_checkpoint_restart_status "checkpoint_restart_status"
#define ATTR_svrflags       "ckmig_svrflags"    /* ji_svrflags, hex; ckmig shows it */
#define ATTR_exec_port      "exec_port"
/* ckmig: the server's checkpoint/migration state machine (server/svr_ckmig.c) */
#define ATTR_migration_state  "migration_state"   /* none pending checkpointing ... failed */
#define ATTR_migration_reason "migration_reason"  /* why the last one failed */
/* ckmig: a job longer than one run's walltime (issue 16; qsub -W
 * walltime_total=HH:MM:SS). The budget is the user's; walltime_remaining
 * is the server's word on what is left of it; run_count is Torque's
 * (JOB_ATR_runcount): how many times the job has been run. */
#define ATTR_walltime_total "walltime_total"
#define ATTR_walltime_left  "walltime_total_remaining"
#define ATTR_run_count      "run_count"

/* --- queue and server attributes ----------------------------------------- */
#define ATTR_qtype          "queue_type"
#define ATTR_enable         "enabled"
#define ATTR_start          "started"
#define ATTR_total          "total_jobs"
#define ATTR_count          "state_count"
#define ATTR_keepcompleted  "keep_completed"
#define ATTR_rescdflt       "resources_default"
#define ATTR_rescmax        "resources_max"
#define ATTR_managers       "managers"
#define ATTR_operators      "operators"
#define ATTR_dfltque        "default_queue"
#define ATTR_scheduling     "scheduling"
#define ATTR_schedit        "scheduler_iteration"
#define ATTR_status         "server_state"
#define ATTR_pbsversion     "pbs_version"
#define ATTR_servername     "server_name"
#define ATTR_nextjobnum     "next_job_number"
#define ATTR_logevents      "log_events"
#define ATTR_pingrate       "node_ping_rate"
#define ATTR_ndchkrate      "node_check_rate"
#define ATTR_query_others   "query_other_jobs"        /* Torque's; default False */
/* ckmig's: the parents a job's checkpoint_dir may name (comma list of
 * absolute paths); the server's and queue's checkpoint_dir count too */
#define ATTR_allowed_ckpt_dirs "allowed_checkpoint_dirs"
/* ckmig server attributes (preemption by checkpoint, issue 6) */
#define ATTR_preempt        "preempt_by_checkpoint"   /* true|false, default false */
#define ATTR_preempt_prio   "preempt_min_priority"    /* preemptor's Priority >= */

/* --- node attributes ------------------------------------------------------ */
#define ATTR_NODE_state      "state"
#define ATTR_NODE_np         "np"
#define ATTR_NODE_properties "properties"
#define ATTR_NODE_ntype      "ntype"
#define ATTR_NODE_jobs       "jobs"
#define ATTR_NODE_status     "status"
#define ATTR_NODE_note       "note"

#define ND_free          "free"
#define ND_offline       "offline"
#define ND_down          "down"
#define ND_job_exclusive "job-exclusive"
#define ND_busy          "busy"
#define ND_state_unknown "state-unknown"

/* Hold_Types letters */
#define USER_HOLD   "u"
#define OTHER_HOLD  "o"
#define SYSTEM_HOLD "s"
#define NO_HOLD     "n"

/* --- job states and substates (pbs_job.h) -------------------------------- */
#define JOB_STATE_TRANSIT  0
#define JOB_STATE_QUEUED   1
#define JOB_STATE_HELD     2
#define JOB_STATE_WAITING  3
#define JOB_STATE_RUNNING  4
#define JOB_STATE_EXITING  5
#define JOB_STATE_COMPLETE 6
/* state letters in that order: T Q H W R E C */
#define JOB_STATE_LETTERS  "TQHWREC"

#define JOB_SUBSTATE_TRANSIN      0
#define JOB_SUBSTATE_QUEUED       10
#define JOB_SUBSTATE_PRESTAGEIN   11
#define JOB_SUBSTATE_CHKPTGO      17
#define JOB_SUBSTATE_HELD         20
#define JOB_SUBSTATE_SYNCHOLD     21
#define JOB_SUBSTATE_WAITING      30
#define JOB_SUBSTATE_STAGEFAIL    37
#define JOB_SUBSTATE_PRERUN       40
#define JOB_SUBSTATE_STARTING     41
#define JOB_SUBSTATE_RUNNING      42
#define JOB_SUBSTATE_SUSPEND      43
#define JOB_SUBSTATE_EXITING      50
#define JOB_SUBSTATE_STAGEOUT     51
#define JOB_SUBSTATE_STAGEDEL     52
#define JOB_SUBSTATE_EXITED       53
#define JOB_SUBSTATE_ABORT        54
#define JOB_SUBSTATE_OBIT         57
#define JOB_SUBSTATE_COMPLETE     59
#define JOB_SUBSTATE_RERUN        60
#define JOB_SUBSTATE_RERUN1       61
#define JOB_SUBSTATE_RERUN2       62
#define JOB_SUBSTATE_RERUN3       63

/* --- ji_svrflags ---------------------------------------------------------- */
#define JOB_SVFLG_HERE                   0x0001
#define JOB_SVFLG_HASWAIT                0x0002
#define JOB_SVFLG_HASRUN                 0x0004
#define JOB_SVFLG_HOTSTART               0x0008
#define JOB_SVFLG_CHECKPOINT_FILE        0x0010
#define JOB_SVFLG_SCRIPT                 0x0020
#define JOB_SVFLG_OVERLMT1               0x0040
#define JOB_SVFLG_OVERLMT2               0x0080
#define JOB_SVFLG_CHECKPOINT_MIGRATEABLE 0x0100
#define JOB_SVFLG_Suspend                0x0200
#define JOB_SVFLG_StagedIn               0x0400
#define JOB_SVFLG_JOB_ABORTED            0x0800
#define JOB_SVFLG_HasNodes               0x1000
#define JOB_SVFLG_RescAssn               0x2000
#define JOB_SVFLG_CHECKPOINT_COPIED      0x4000
#define JOB_SVFLG_INTERMEDIATE_MOM       0x8000
#define JOB_SVFLG_PROLOGUES_RAN          0x10000

/* --- Hold_Types bits ------------------------------------------------------ */
#define HOLD_n 0
#define HOLD_u 1
#define HOLD_o 2
#define HOLD_s 4
#define HOLD_a 8
#define HOLD_l 16

/* --- MOM job exit codes (job.h JOB_EXEC_*) -------------------------------- */
#define JOB_EXEC_OK        0
#define JOB_EXEC_FAIL1    -1
#define JOB_EXEC_FAIL2    -2
#define JOB_EXEC_RETRY    -3
#define JOB_EXEC_INITABT  -4
#define JOB_EXEC_INITRST  -5
#define JOB_EXEC_INITRMG  -6
#define JOB_EXEC_BADRESRT -7
#define JOB_EXEC_CMDFAIL  -8

/* Reply auxcode on a HoldJob/CheckpointJob: the checkpoint is in a
 * directory every node shares, so the job may restart anywhere. */
#define PBS_CHECKPOINT_MIGRATE 1

#endif
