/* The MOM's own work between requests, as tasks of its loop (lib/wire),
 * as the server's scheduling and pending migrations are: never called
 * from inside I/O handling, each named, in a fixed order.
 *
 * Order (registration order is run order) and what wakes each:
 *   children       reap children; jobs whose supervisor wrote the exit file
 *   checkpoints    a running checkpoint script's output, end or timeout;
 *                  then reap again (the script's own exit)
 *   limits         walltime; escalate kills
 *   periodic       $checkpoint_interval checkpoints (not while shutting down)
 *   obits          outstanding obits (retried until acknowledged)
 *   server_queue   the next request to the server, held back behind a
 *                  deferred answer
 *   status         IsStatus every $status_update_time seconds
 * The first six run together: every tick, and at the end of any turn with
 * news for them (mom_tasks_wake(): SIGCHLD, a request or an answer
 * handled, a connection closed; and a checkpoint script's output), which
 * wakes "news", registered first, which wakes them all: as the chores
 * called after every turn of the loop did before. */
#include "lib/util.h"
#include "lib/wire.h"
#include "mom/checkpoint.h"
#include "mom/mom.h"
#include "mom/mom_server.h"

enum { T_CHILDREN, T_CHECKPOINTS, T_LIMITS, T_PERIODIC, T_OBITS, T_SERVER, T_JOBS };

static struct wtask *news_task, *jobs_tasks[T_JOBS], *status_task;

/* First in the run order: whatever woke it (mom_tasks_wake(), a
 * checkpoint script's output), the job tasks all run in this same pass. */
static void task_news(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < T_JOBS; i++)
		wtask_wake(jobs_tasks[i]);
}

static void task_children(void *arg)
{
	catch_child(arg);
}

static void task_checkpoints(void *arg)
{
	poll_checkpoints(arg);
	catch_child(arg);
}

static void task_limits(void *arg)
{
	check_job_limits(arg);
}

static void task_periodic(void *arg)
{
	struct mom *m = arg;

	if (!m->shutting_down)
		check_periodic_checkpoints(m);
}

static void task_obits(void *arg)
{
	send_obits(arg);
}

static void task_server(void *arg)
{
	mom_server_kick(arg);
}

/* $status_update_time is read at each report: a SIGHUP may change it */
static void task_status(void *arg)
{
	struct mom *m = arg;

	send_is_status(m);
	wtask_at(status_task, now_ms() + m->cfg.status_update_time * 1000LL);
}

static int wake_fds(void *arg, int *fds, int max)
{
	return checkpoint_fds(arg, fds, max);
}

void mom_tasks_init(struct mom *m, long long tick_ms)
{
	static const struct {
		const char *name;
		wtask_fn fn;
	} t[T_JOBS] = {
		[T_CHILDREN] = { "children", task_children },
		[T_CHECKPOINTS] = { "checkpoints", task_checkpoints },
		[T_LIMITS] = { "limits", task_limits },
		[T_PERIODIC] = { "periodic", task_periodic },
		[T_OBITS] = { "obits", task_obits },
		[T_SERVER] = { "server_queue", task_server },
	};
	int i;

	news_task = wloop_task(m->loop, "news", task_news, m, 0);
	for (i = 0; i < T_JOBS; i++)
		jobs_tasks[i] = wloop_task(m->loop, t[i].name, t[i].fn, m, tick_ms);
	status_task = wloop_task(m->loop, "status", task_status, m, 0);
	wtask_wake(status_task);     /* the first report at once */
	/* a checkpoint script's stderr wakes the loop and the tasks */
	wloop_wake_fds(m->loop, wake_fds, m, news_task);
	mom_tasks_wake();               /* jobs recovered at start-up */
}

/* Only stores due times, so the SIGCHLD handler may call it (the signal
 * is blocked outside the loop's ppoll). */
void mom_tasks_wake(void)
{
	if (news_task)
		wtask_wake(news_task);
}
