// Who may act on what: owner or manager for jobs, managers/operators
// lists with host wildcards, root always a manager, MOMs never users.
#include <gtest/gtest.h>

#include <string.h>

#include "server/server.h"

namespace {
client_id who(const char *user, uid_t uid, const char *host = "head")
{
	client_id c;
	memset(&c, 0, sizeof(c));
	c.uid = uid;
	strcpy(c.user, user);
	strcpy(c.host, host);
	return c;
}
}  // namespace

TEST(ServerPerm, AclMatching)
{
	EXPECT_TRUE(acl_match("alice@head", "alice", "head"));
	EXPECT_FALSE(acl_match("alice@head", "alice", "node1"));
	EXPECT_TRUE(acl_match("bob@node1,alice@*", "alice", "node1"));
	EXPECT_TRUE(acl_match("alice@*.example.com", "alice", "h.example.com"));
	EXPECT_TRUE(acl_match("alice", "alice", "anywhere"));
	EXPECT_FALSE(acl_match("alicex@*", "alice", "head"));
	EXPECT_FALSE(acl_match("", "alice", "head"));
	EXPECT_FALSE(acl_match(NULL, "alice", "head"));
}

TEST(ServerPerm, OwnerOrManager)
{
	server *s = server_create("/nonexistent", "head");
	attrl_set(&s->attrs, ATTR_managers, NULL, "root@head,carol@*");
	attrl_set(&s->attrs, ATTR_operators, NULL, "dave@head");
	job *j = job_alloc("1.head", 1);
	job_set(j, ATTR_owner, "alice@head");
	job_set(j, ATTR_euser, "alice");
	client_id alice = who("alice", 1001), bob = who("bob", 1002), carol = who("carol", 1003, "x");
	client_id dave = who("dave", 1004), root = who("root", 0, "elsewhere");
	client_id mom = who("mom", (uid_t)-1);
	mom.is_mom = 1;
	EXPECT_TRUE(user_may_act_on_job(s, &alice, j));
	EXPECT_FALSE(user_may_act_on_job(s, &bob, j));
	EXPECT_TRUE(user_may_act_on_job(s, &carol, j));
	EXPECT_FALSE(user_may_act_on_job(s, &dave, j));   // operators do not own jobs
	EXPECT_TRUE(user_may_act_on_job(s, &root, j));
	EXPECT_FALSE(user_may_act_on_job(s, &mom, j));
	EXPECT_TRUE(user_is_manager(s, &carol));
	EXPECT_FALSE(user_is_manager(s, &dave));
	EXPECT_TRUE(user_is_operator(s, &dave));
	EXPECT_TRUE(user_is_operator(s, &carol));
	EXPECT_FALSE(user_is_operator(s, &bob));
	EXPECT_FALSE(user_is_manager(s, &mom));
	// a user named like the owner's group or with a longer name is not the owner
	client_id alicex = who("alicex", 1005);
	EXPECT_FALSE(user_may_act_on_job(s, &alicex, j));
	job_free(j);
	server_destroy(s);
}
