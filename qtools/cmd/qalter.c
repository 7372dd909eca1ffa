/* qalter: change attributes of queued or held jobs (Torque's qalter);
 * the options are qsub's and are checked the same way. */
#include "qtools/lib/cmds.h"
#include "qtools/lib/qsub_functions.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: qalter [-A account_string] [-c interval] [-e path] [-h hold_list]\n"
	"    [-j oe|eo|n] [-k keep] [-l resource_list] [-m mail_options] [-M user_list]\n"
	"    [-N jobname] [-o path] [-p priority] [-r y|n] [-S path] [-W attr=value]\n"
	"    job_identifier...\n";

static int alter(int connect, const char *id, void *ctx)
{
	return pbs_alterjob(connect, id, ctx, NULL);
}

static void bad(const char *opt, int *errflg)
{
	fprintf(stderr, "qalter: illegal -%s value\n", opt);
	(*errflg)++;
}

int main(int argc, char **argv)
{
	struct attrl *attrs = NULL;
	struct attropl *list = NULL, *a;
	char host[256], cwd[PATH_MAX], why[256], o[2] = "x";
	char dir[4096];
	int c, errflg = 0, status;

	cmd_check_help(argc, argv, usage);
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	while ((c = getopt(argc, argv, "A:c:e:h:j:k:l:m:M:N:o:p:r:S:W:")) != -1) {
		char *path;

		o[0] = (char)c;
		switch (c) {
		case 'A': ifl_attrl_add(&attrs, ATTR_A, NULL, optarg); break;
		case 'c':
			dir[0] = '\0';
			if (ckpt_option_check(optarg, dir, sizeof(dir), why, sizeof(why)) < 0) {
				fprintf(stderr, "qalter: illegal -c value (%s)\n", why);
				errflg++;
			}
			ifl_attrl_add(&attrs, ATTR_c, NULL, optarg);
			if (dir[0])
				ifl_attrl_add(&attrs, ATTR_checkpoint_dir, NULL, dir);
			break;
		case 'e':
		case 'o':
			path = qsub_prepare_path(optarg, host, cwd);
			ifl_attrl_add(&attrs, c == 'e' ? ATTR_e : ATTR_o, NULL, path);
			free(path);
			break;
		case 'h':
			if (check_hold_list(optarg, 1) < 0)
				bad(o, &errflg);
			ifl_attrl_add(&attrs, ATTR_h, NULL, optarg);
			break;
		case 'j':
			if (check_join(optarg) < 0)
				bad(o, &errflg);
			ifl_attrl_add(&attrs, ATTR_j, NULL, optarg);
			break;
		case 'k': ifl_attrl_add(&attrs, ATTR_k, NULL, optarg); break;
		case 'l':
			if (parse_resource_list(optarg, &list, why, sizeof(why)) < 0) {
				fprintf(stderr, "qalter: illegal -l value (%s)\n", why);
				errflg++;
			}
			break;
		case 'm':
			if (strcmp(optarg, "n") && strspn(optarg, "abe") != strlen(optarg))
				bad(o, &errflg);
			ifl_attrl_add(&attrs, ATTR_m, NULL, optarg);
			break;
		case 'M': ifl_attrl_add(&attrs, ATTR_M, NULL, optarg); break;
		case 'N':
			if (check_job_name(optarg) < 0)
				bad(o, &errflg);
			ifl_attrl_add(&attrs, ATTR_N, NULL, optarg);
			break;
		case 'p':
			if (check_priority(optarg) < 0)
				bad(o, &errflg);
			ifl_attrl_add(&attrs, ATTR_p, NULL, optarg);
			break;
		case 'r':
			if (strcmp(optarg, "y") && strcmp(optarg, "n"))
				bad(o, &errflg);
			ifl_attrl_add(&attrs, ATTR_r, NULL, optarg[0] == 'y' ? "True" : "False");
			break;
		case 'S': ifl_attrl_add(&attrs, ATTR_S, NULL, optarg); break;
		case 'W':
			if (parse_equal_string_list(optarg, &list, why, sizeof(why)) < 0)
				bad(o, &errflg);
			break;
		default:
			errflg++;
		}
	}
	for (a = list; a; a = a->next)
		ifl_attrl_add(&attrs, a->name, a->resource, a->value);
	ifl_attropl_free(list);
	if (errflg || optind >= argc || attrs == NULL) {
		fputs(usage, stderr);
		ifl_attrl_free(attrs);
		return 2;
	}
	status = for_each_job("qalter", argc, argv, optind, alter, attrs);
	ifl_attrl_free(attrs);
	return status;
}
