/* Connections to the server (Torque's pbsD_connect.c): a handle indexes a
 * small table holding the socket, the server's last error text and the
 * server's name once asked. */
#include "qtools/lib/pbs_client.h"
#include "lib/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct connection {
	int fd;                 /* -1 = free slot */
	char *errtxt;
	char *server_name;
};

static struct connection *conns;
static int nconns;

const char *pbs_default_socket(void)
{
	const char *env = getenv(PBS_SOCKET_ENV);

	return (env && *env) ? env : PBS_DEFAULT_SOCKET;
}

static struct connection *lookup(int connect)
{
	if (connect < 0 || connect >= nconns || conns[connect].fd < 0)
		return NULL;
	return &conns[connect];
}

int connection_fd(int connect)
{
	struct connection *c = lookup(connect);

	return c ? c->fd : -1;
}

void connection_set_errtxt(int connect, const char *text)
{
	struct connection *c = lookup(connect);

	if (c == NULL)
		return;
	free(c->errtxt);
	c->errtxt = (text && *text) ? xstrdup(text) : NULL;
}

int pbs_connect(const char *server)
{
	struct sockaddr_un sa;
	const char *path = (server && server[0] == '/') ? server : pbs_default_socket();
	int fd = -1, i, rc = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		pbs_errno = PBSE_NOSERVER;
		goto out;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pbs_errno = PBSE_SYSTEM;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		pbs_errno = PBSE_SOCKET_FAULT;
		goto out;
	}
	for (i = 0; i < nconns; i++)
		if (conns[i].fd < 0)
			break;
	if (i == nconns) {
		conns = xrealloc(conns, sizeof(*conns) * (size_t)(nconns + 1));
		nconns++;
	}
	conns[i].fd = fd;
	conns[i].errtxt = NULL;
	conns[i].server_name = NULL;
	fd = -1;
	pbs_errno = 0;
	rc = i;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int pbs_disconnect(int connect)
{
	struct connection *c = lookup(connect);

	if (c == NULL) {
		pbs_errno = PBSE_IVALREQ;
		return -1;
	}
	close(c->fd);
	c->fd = -1;
	free(c->errtxt);
	free(c->server_name);
	c->errtxt = c->server_name = NULL;
	return 0;
}

const char *pbs_geterrmsg(int connect)
{
	struct connection *c = lookup(connect);

	return c ? c->errtxt : NULL;
}

const char *pbs_server_name(int connect)
{
	struct connection *c = lookup(connect);
	struct batch_status *bs;

	if (c == NULL) {
		pbs_errno = PBSE_IVALREQ;
		return NULL;
	}
	if (c->server_name)
		return c->server_name;
	bs = pbs_statserver(connect, NULL, NULL);
	if (bs == NULL)
		return NULL;
	c->server_name = xstrdup(bs->name);
	pbs_statfree(bs);
	return c->server_name;
}
