/* qsub's options, read from #PBS directives and from the command line
 * alike, with Torque's checks and messages. */
#include "qtools/lib/qsub_functions.h"
#include "qtools/lib/cmds.h"
#include "lib/ckpt_option.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char qsub_usage[] =
	"usage: qsub [-A account_string] [-c [ none | { enabled | periodic | shutdown |\n"
	"    depth=<int> | dir=<path> | interval=<minutes>}... ]\n"
	"    [-C directive_prefix] [-d path] [-e path] [-h] [-j oe|eo|n] [-k {oe}]\n"
	"    [-l resource_list] [-m n|{abe}] [-M user_list] [-N jobname] [-o path]\n"
	"    [-p priority] [-P proxy_user] [-q queue] [-r y|n] [-S path]\n"
	"    [-W additional_attributes] [-v variable_list] [-V] [-z] [script]\n";

void qsub_job_init(struct qsub_job *j, const char *host, const char *cwd)
{
	memset(j, 0, sizeof(*j));
	buf_init(&j->vars);
	j->host = host;
	j->cwd = cwd;
}

void qsub_job_free(struct qsub_job *j)
{
	ifl_attropl_free(j->attrs);
	buf_free(&j->vars);
	free(j->destination);
	free(j->prefix);
	free(j->proxy_user);
	free(j->workdir);
	memset(j, 0, sizeof(*j));
}

static int same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

void qsub_set_attr(struct qsub_job *j, const char *name, const char *resource, const char *value)
{
	struct attropl *a;

	if (resource && *resource == '\0')
		resource = NULL;
	for (a = j->attrs; a; a = a->next) {
		if (strcmp(a->name, name) == 0 && same(a->resource, resource)) {
			free(a->value);
			a->value = xstrdup(value);
			return;
		}
	}
	ifl_attropl_add(&j->attrs, name, resource, value, SET);
}

const char *qsub_get_attr(const struct qsub_job *j, const char *name, const char *resource)
{
	return ifl_attrl_get((const struct attrl *)j->attrs, name, resource);
}

char *qsub_prepare_path(const char *path, const char *host, const char *cwd)
{
	const char *colon = strchr(path, ':');

	/* "host:path" names its host already (a path with '/' before the
	 * colon is a plain path) */
	if (colon && colon != path && memchr(path, '/', (size_t)(colon - path)) == NULL)
		return xstrdup(path);
	if (path[0] == '/')
		return xasprintf("%s:%s", host, path);
	return xasprintf("%s:%s/%s", host, cwd, path);
}

static int bad_k(const char *v)
{
	return strcmp(v, "o") && strcmp(v, "e") && strcmp(v, "oe") && strcmp(v, "eo") &&
	       strcmp(v, "n");
}

static int bad_m(const char *v)
{
	return strcmp(v, "n") && strspn(v, "abe") != strlen(v);
}

/* Appends name[=value] lists (-l, -W) to the job; 0 or -1 (why set). */
static int add_list(struct qsub_job *j, const char *spec, int resources, char *why, size_t len)
{
	struct attropl *list = NULL, *a;
	int rc = resources ? parse_resource_list(spec, &list, why, len)
			   : parse_equal_string_list(spec, &list, why, len);

	for (a = list; rc == 0 && a; a = a->next) {
		/* interactive jobs are refused, whichever way they are asked */
		if (!resources && (strcmp(a->name, "x") == 0 || strcmp(a->name, "interactive") == 0)) {
			snprintf(why, len, "%s", a->name);
			rc = -1;
			break;
		}
	}
	for (a = list; rc == 0 && a; a = a->next)
		qsub_set_attr(j, a->name, resources ? a->resource : NULL, a->value);
	ifl_attropl_free(list);
	return rc;
}

/* -c: Checkpoint, and checkpoint_dir when it has dir= (the job's own
 * directory wins over the queue's and the server's) */
static int set_checkpoint(struct qsub_job *j, const char *value, char *err, size_t errlen)
{
	char dir[4096], why[512];

	if (ckpt_option_check(value, dir, sizeof(dir), why, sizeof(why)) < 0) {
		snprintf(err, errlen, "qsub: illegal -c value (%s)", why);
		return -1;
	}
	qsub_set_attr(j, ATTR_c, NULL, value);
	if (dir[0])
		qsub_set_attr(j, ATTR_checkpoint_dir, NULL, dir);
	return 0;
}

int qsub_process_opts(struct qsub_job *j, int argc, char **argv, int from_script,
		      char *err, size_t errlen)
{
	static const char opts[] = "A:c:C:d:e:hIj:k:l:m:M:N:o:p:P:q:r:S:v:VW:z";
	char why[256], bad[2] = "";
	int c, rc = -1;

	optind = 0;   /* GNU: full reset, options may follow the script */
	opterr = 0;
	err[0] = '\0';
	while (!bad[0] && !err[0] && (c = getopt(argc, argv, opts)) != -1) {
		char *path;

		switch (c) {
		case 'A': qsub_set_attr(j, ATTR_A, NULL, optarg); break;
		case 'c':
			while (isspace((unsigned char)*optarg))
				optarg++;
			set_checkpoint(j, optarg, err, errlen);
			break;
		case 'C':
			free(j->prefix);
			j->prefix = xstrdup(optarg);
			break;
		case 'd':
			if (optarg[0] != '/') {
				bad[0] = 'd';
				break;
			}
			free(j->workdir);
			j->workdir = xstrdup(optarg);
			qsub_set_attr(j, ATTR_init_work_dir, NULL, optarg);
			break;
		case 'e':
		case 'o':
			if (*optarg == '\0') {
				bad[0] = (char)c;
				break;
			}
			path = qsub_prepare_path(optarg, j->host, j->workdir ? j->workdir : j->cwd);
			qsub_set_attr(j, c == 'e' ? ATTR_e : ATTR_o, NULL, path);
			free(path);
			break;
		case 'h': qsub_set_attr(j, ATTR_h, NULL, USER_HOLD); break;
		case 'I':
			snprintf(err, errlen, "qsub: interactive jobs (-I) are not supported by ckmig");
			break;
		case 'j':
			if (check_join(optarg) < 0)
				bad[0] = 'j';
			else
				qsub_set_attr(j, ATTR_j, NULL, optarg);
			break;
		case 'k':
			if (bad_k(optarg))
				bad[0] = 'k';
			else
				qsub_set_attr(j, ATTR_k, NULL, optarg);
			break;
		case 'l':
			if (add_list(j, optarg, 1, why, sizeof(why)) < 0)
				snprintf(err, errlen, "qsub: illegal -l value (%s)", why);
			break;
		case 'm':
			if (bad_m(optarg))
				bad[0] = 'm';
			else
				qsub_set_attr(j, ATTR_m, NULL, optarg);
			break;
		case 'M': qsub_set_attr(j, ATTR_M, NULL, optarg); break;
		case 'N':
			if (check_job_name(optarg) < 0)
				bad[0] = 'N';
			else
				qsub_set_attr(j, ATTR_N, NULL, optarg);
			break;
		case 'p':
			if (check_priority(optarg) < 0)
				bad[0] = 'p';
			else
				qsub_set_attr(j, ATTR_p, NULL, optarg);
			break;
		case 'P':
			if (from_script) {
				snprintf(err, errlen, "qsub: -P is only allowed on the command line");
				break;
			}
			free(j->proxy_user);
			j->proxy_user = xstrdup(optarg);
			break;
		case 'q':
			free(j->destination);
			j->destination = xstrdup(optarg);
			break;
		case 'r':
			if (strcmp(optarg, "y") && strcmp(optarg, "n"))
				bad[0] = 'r';
			else
				qsub_set_attr(j, ATTR_r, NULL, optarg[0] == 'y' ? "True" : "False");
			break;
		case 'S': qsub_set_attr(j, ATTR_S, NULL, optarg); break;
		case 'v':
			if (parse_variable_list(optarg, &j->vars, why, sizeof(why)) < 0)
				bad[0] = 'v';
			break;
		case 'V': j->export_all = 1; break;
		case 'W':
			if (add_list(j, optarg, 0, why, sizeof(why)) < 0)
				bad[0] = 'W';
			break;
		case 'z': j->quiet = 1; break;
		default:
			if (optopt && strchr(opts, optopt))
				snprintf(err, errlen, "qsub: option requires an argument -- '%c'", optopt);
			else
				snprintf(err, errlen, "qsub: invalid option -- '%c'", optopt ? optopt : '?');
			break;
		}
	}
	if (bad[0]) {
		snprintf(err, errlen, "qsub: illegal -%s value", bad);
		goto out;
	}
	if (err[0])
		goto out;
	if (from_script && optind < argc) {
		snprintf(err, errlen, "qsub: directive names an operand: %s", argv[optind]);
		goto out;
	}
	rc = optind;
out:
	return rc;
}

extern char **environ;

static void add_o_vars(struct qsub_job *j)
{
	static const char *const from_env[][2] = {
		{ "PBS_O_HOME", "HOME" }, { "PBS_O_LANG", "LANG" }, { "PBS_O_LOGNAME", "LOGNAME" },
		{ "PBS_O_PATH", "PATH" }, { "PBS_O_MAIL", "MAIL" }, { "PBS_O_SHELL", "SHELL" },
		{ "PBS_O_TZ", "TZ" },
	};
	struct buf v;
	size_t i;

	buf_init(&v);
	buf_append(&v, "", 0);
	for (i = 0; i < sizeof(from_env) / sizeof(from_env[0]); i++) {
		const char *val = getenv(from_env[i][1]);

		if (val)
			variable_list_add(&v, from_env[i][0], val);
	}
	variable_list_add(&v, "PBS_O_WORKDIR", j->workdir ? j->workdir : j->cwd);
	variable_list_add(&v, "PBS_O_HOST", j->host);
	if (j->workdir)
		variable_list_add(&v, "PBS_O_INITDIR", j->workdir);
	if (j->export_all) {
		char **e;

		for (e = environ; *e; e++) {
			const char *eq = strchr(*e, '=');
			char *name;

			if (eq == NULL || strncmp(*e, "PBS_O_", 6) == 0)
				continue;
			name = xstrndup(*e, (size_t)(eq - *e));
			variable_list_add(&v, name, eq + 1);
			free(name);
		}
	}
	if (j->vars.len) {
		buf_append(&v, ",", 1);
		buf_append(&v, j->vars.data, j->vars.len);
	}
	qsub_set_attr(j, ATTR_v, NULL, v.data);
	buf_free(&v);
}

int qsub_build(struct qsub_job *j, int argc, char **argv, const char *text, size_t len,
	       const char *script_name, int *usage, char *err, size_t errlen)
{
	struct qsub_job pre;
	struct directive *dirs = NULL, *d;
	const char *prefix;
	struct buf args;
	int i, rc = -1;

	*usage = 0;
	qsub_job_init(&pre, j->host, j->cwd);
	buf_init(&args);
	if (qsub_process_opts(&pre, argc, argv, 0, err, errlen) < 0) {
		*usage = 1;
		goto out;
	}
	prefix = pre.prefix ? pre.prefix : getenv("PBS_DPREFIX");
	if (script_directives(text, len, prefix, &dirs, err, errlen) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "qsub:  %s", why);
		goto out;
	}
	for (d = dirs; d; d = d->next) {
		if (qsub_process_opts(j, d->argc, d->argv, 1, err, errlen) < 0) {
			size_t l = strlen(err);

			snprintf(err + l, errlen - l, " (script line %d)", d->lineno);
			goto out;
		}
	}
	/* the command line wins over directives */
	if (qsub_process_opts(j, argc, argv, 0, err, errlen) < 0) {
		*usage = 1;
		goto out;
	}
	if (qsub_get_attr(j, ATTR_N, NULL) == NULL) {
		const char *base = script_name ? strrchr(script_name, '/') : NULL;

		base = script_name ? (base ? base + 1 : script_name) : "STDIN";
		if (check_job_name(base) < 0) {
			snprintf(err, errlen, "qsub: cannot form a valid job name from the script name");
			*usage = 1;
			goto out;
		}
		qsub_set_attr(j, ATTR_N, NULL, base);
	}
	add_o_vars(j);
	buf_append(&args, "", 0);
	for (i = 1; i < argc; i++) {
		if (i > 1)
			buf_append(&args, " ", 1);
		buf_puts(&args, argv[i]);
	}
	qsub_set_attr(j, ATTR_submit_args, NULL, args.data);
	qsub_set_attr(j, ATTR_submit_host, NULL, j->host);
	rc = 0;
out:
	directives_free(dirs);
	buf_free(&args);
	qsub_job_free(&pre);
	return rc;
}

int qsub_ckpt_warning(const struct qsub_job *j, char *out, size_t outlen)
{
	struct ckpt_opts o;
	int n = nodes_spec_count(qsub_get_attr(j, ATTR_l, "nodes"));

	out[0] = '\0';
	if (ckpt_opts_parse(qsub_get_attr(j, ATTR_c, NULL), &o, NULL, 0) < 0 ||
	    !ckpt_checkpointable(&o) || n <= 1)
		return 0;
	snprintf(out, outlen, "qsub: warning: the job asks for %d nodes and will not be "
		 "checkpointable: ckmig cannot checkpoint a multi-node job (no sister MOMs), so "
		 "qhold, qchkpt, qmigrate, drains and preemption will refuse it and it takes no "
		 "periodic or shutdown checkpoints", n);
	return 1;
}
