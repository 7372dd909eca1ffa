/* libFuzzer target: server_priv/nodes (nodes_parse in
 * server/node_manager.c), and the same bytes as a destination string
 * (parse_destination: qrun -H, qmigrate -H and Maui's host lists, which
 * reach the server from clients). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node *nodes = NULL;
	struct host_req *hosts = NULL;
	int n = 0, nh = 0, i;
	char *text = malloc(size + 1), err[512];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (nodes_parse(text, &nodes, &n, err, sizeof(err)) == 0) {
		for (i = 0; i < n; i++) {
			char st[128];

			if (nodes[i].np < 1 || !nodes[i].name[0])
				abort();
			(void)node_state_str(&nodes[i], st, sizeof(st));
			(void)node_free_slots(&nodes[i]);
		}
		nodes_free(nodes, n);
	}
	if (parse_destination(text, 2, &hosts, &nh, err, sizeof(err)) == 0) {
		for (i = 0; i < nh; i++)
			if (hosts[i].count < 1)
				abort();
		free(hosts);
	}
	free(text);
	return 0;
}
