// qstat's and pbsnodes' layouts, compared column for column with what
// Torque 6.1 prints for the same jobs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "qtools/lib/qstat_format.h"
#include "qtools/lib/qmgr_parse.h"

namespace {

struct Status {
	batch_status *bs = nullptr;
	batch_status *add(const char *name)
	{
		batch_status **t = &bs;
		while (*t)
			t = &(*t)->next;
		*t = (batch_status *)calloc(1, sizeof(batch_status));
		(*t)->name = strdup(name);
		return *t;
	}
	~Status() { pbs_statfree(bs); }
};

void attr(batch_status *b, const char *n, const char *r, const char *v)
{
	ifl_attrl_add(&b->attribs, n, r, v);
}

std::string text(void (*fn)(buf *, const batch_status *), const batch_status *b)
{
	buf out;
	buf_init(&out);
	fn(&out, b);
	std::string s = out.data ? out.data : "";
	buf_free(&out);
	return s;
}

batch_status *sample_job(Status &st, const char *id = "42.head")
{
	batch_status *j = st.add(id);
	attr(j, ATTR_N, nullptr, "STDIN");
	attr(j, ATTR_owner, nullptr, "alice@head");
	attr(j, ATTR_used, "cput", "00:00:01");
	attr(j, ATTR_used, "walltime", "00:02:03");
	attr(j, ATTR_state, nullptr, "R");
	attr(j, ATTR_queue, nullptr, "batch");
	attr(j, ATTR_l, "nodes", "2:ppn=4");
	attr(j, ATTR_l, "walltime", "01:00:00");
	attr(j, ATTR_session, nullptr, "4242");
	attr(j, ATTR_exechost, nullptr, "node1/0+node1/1+node2/0");
	return j;
}

TEST(QtoolsQstatFormat, DefaultTableAsTorque)
{
	Status st;
	buf out;
	buf_init(&out);
	qstat_job_header(&out);
	qstat_job_line(&out, sample_job(st));
	batch_status *q = st.add("43.head");
	attr(q, ATTR_N, nullptr, "a_rather_long_job_name_here");
	attr(q, ATTR_owner, nullptr, "averyveryverylongusername@head");
	attr(q, ATTR_state, nullptr, "Q");
	attr(q, ATTR_queue, nullptr, "batch");
	qstat_job_line(&out, q);
	EXPECT_EQ(std::string(out.data),
		  "Job ID                    Name             User            Time Use S Queue\n"
		  "------------------------- ---------------- --------------- -------- - -----\n"
		  "42.head                    STDIN            alice           00:00:01 R batch          \n"
		  "43.head                    ...job_name_here averyveryverylo        0 Q batch          \n");
	buf_free(&out);
}

TEST(QtoolsQstatFormat, LongJobIdCut)
{
	Status st;
	batch_status *j = st.add("123456789.averyveryverylongservername.example.org");
	attr(j, ATTR_state, nullptr, "Q");
	std::string line = text(qstat_job_line, j);
	EXPECT_EQ(line.substr(0, 30), "123456789.averyveryverylongse ");
}

TEST(QtoolsQstatFormat, AlternateTableAndNodes)
{
	Status st;
	batch_status *srv = st.add("head");
	batch_status *j = sample_job(st);
	buf out;
	buf_init(&out);
	qstat_alt_header(&out, srv, ALT_DISPLAY_A | ALT_DISPLAY_N);
	qstat_alt_line(&out, j, ALT_DISPLAY_A | ALT_DISPLAY_N);
	std::string s = out.data;
	EXPECT_EQ(s,
		  "\nhead: "
		  "\n                                                                                  Req'd       Req'd       Elap"
		  "\nJob ID                  Username    Queue    Jobname          SessID  NDS   TSK   Memory      Time    S   Time"
		  "\n----------------------- ----------- -------- ---------------- ------ ----- ------ --------- --------- - ---------\n"
		  "42.head                 alice       batch    STDIN              4242     2      8       --   01:00:00 R  00:02:03\n"
		  "   node1/0+node1/1+node2/0\n");
	buf_free(&out);
}

TEST(QtoolsQstatFormat, FullWrapsAtCommasAndPrintsTimes)
{
	Status st;
	batch_status *j = st.add("42.head");
	attr(j, ATTR_N, nullptr, "STDIN");
	attr(j, ATTR_l, "walltime", "01:00:00");
	attr(j, ATTR_v, nullptr,
	     "PBS_O_HOME=/home/alice,PBS_O_LOGNAME=alice,PBS_O_PATH=/usr/bin:/bin,PBS_O_WORKDIR=/home/alice/work");
	setenv("TZ", "UTC", 1);
	attr(j, ATTR_ctime, nullptr, "0");
	buf out;
	buf_init(&out);
	qstat_job_full(&out, j, QSTAT_LINESIZE);
	EXPECT_EQ(std::string(out.data),
		  "Job Id: 42.head\n"
		  "    Job_Name = STDIN\n"
		  "    Resource_List.walltime = 01:00:00\n"
		  "    Variable_List = PBS_O_HOME=/home/alice,PBS_O_LOGNAME=alice,\n"
		  "\tPBS_O_PATH=/usr/bin:/bin,PBS_O_WORKDIR=/home/alice/work\n"
		  "    ctime = Thu Jan  1 00:00:00 1970\n"
		  "\n");
	buf_free(&out);
}

// Torque's prt_attr, written out literally (strtok, one character at a
// time) as the oracle for ours.
std::string torque_prt_attr(const std::string &n, const char *r, const std::string &v, int linesize)
{
	std::string out = "    " + n;
	int start = (int)n.size() + 7, first = 1;
	if (r) {
		start += (int)strlen(r) + 1;
		out += std::string(".") + r;
	}
	out += " = ";
	std::string work = v;
	char *save = nullptr;
	char *c = strtok_r(&work[0], ",", &save);
	while (c) {
		int l = (int)strlen(c);
		if (l + start < linesize) {
			out += c;
			start += l;
		} else {
			if (!first) {
				out += "\n\t";
				start = 9;
			}
			while (*c) {
				out += *c++;
				if (++start > linesize) {
					start = 8;
					out += "\n\t";
				}
			}
		}
		if ((c = strtok_r(nullptr, ",", &save)) != nullptr) {
			first = 0;
			out += ',';
		}
	}
	return out;
}

TEST(QtoolsQstatFormat, PrtAttrWrapsAsTorque)
{
	unsigned seed = 12345;
	auto rnd = [&seed](unsigned m) { seed = seed * 1103515245u + 12345u; return (seed >> 8) % m; };
	for (int i = 0; i < 3000; i++) {
		std::string name(1 + rnd(90), 'n');
		std::string v;
		int len = (int)rnd(400);
		for (int k = 0; k < len; k++)
			v += rnd(9) == 0 ? ',' : (char)('a' + rnd(26));
		const char *res = rnd(2) ? "walltime" : nullptr;
		int linesize = rnd(5) == 0 ? 1 << 30 : 77;
		buf out;
		buf_init(&out);
		prt_attr(&out, name.c_str(), res, v.c_str(), linesize);
		ASSERT_EQ(std::string(out.data), torque_prt_attr(name, res, v, linesize))
			<< "value '" << v << "' name length " << name.size();
		buf_free(&out);
	}
}

TEST(QtoolsQstatFormat, XmlGroupsResourcesAndEscapes)
{
	Status st;
	batch_status *j = st.add("42.head");
	attr(j, ATTR_N, nullptr, "a<b&c");
	attr(j, ATTR_l, "walltime", "10");
	attr(j, ATTR_l, "nodes", "1");
	attr(j, ATTR_used, "cput", "0");
	attr(j, ATTR_state, nullptr, "Q");
	buf out;
	buf_init(&out);
	qstat_xml_open(&out);
	for (const batch_status *b = st.bs; b; b = b->next)
		qstat_job_xml(&out, b);
	qstat_xml_close(&out);
	EXPECT_EQ(std::string(out.data),
		  "<?xml version=\"1.0\"?>\n<Data><Job><Job_Id>42.head</Job_Id>"
		  "<Job_Name>a&lt;b&amp;c</Job_Name>"
		  "<Resource_List><walltime>10</walltime><nodes>1</nodes></Resource_List>"
		  "<resources_used><cput>0</cput></resources_used>"
		  "<job_state>Q</job_state></Job></Data>\n");
	buf_free(&out);
}

TEST(QtoolsQstatFormat, QueueAndServerTables)
{
	Status st;
	batch_status *q = st.add("batch");
	attr(q, "queue_type", nullptr, "Execution");
	attr(q, ATTR_total, nullptr, "3");
	attr(q, ATTR_count, nullptr, "Transit:0 Queued:1 Held:0 Waiting:0 Running:2 Exiting:0 Complete:4");
	attr(q, ATTR_enable, nullptr, "True");
	attr(q, ATTR_start, nullptr, "True");
	buf out;
	buf_init(&out);
	qstat_que_header(&out);
	qstat_que_line(&out, q);
	EXPECT_EQ(std::string(out.data),
		  "Queue              Max    Tot   Ena   Str   Que   Run   Hld   Wat   Trn   Ext T   Cpt\n"
		  "----------------   ---   ----    --    --   ---   ---   ---   ---   ---   --- -   ---\n"
		  "batch                0      3   yes   yes     1     2     0     0     0     0 E     4\n");
	buf_reset(&out);
	batch_status *s = st.add("head");
	attr(s, ATTR_total, nullptr, "3");
	attr(s, ATTR_count, nullptr, "Transit:0 Queued:1 Held:0 Waiting:0 Running:2 Exiting:0 Complete:0");
	attr(s, ATTR_status, nullptr, "Active");
	qstat_srv_header(&out);
	qstat_srv_line(&out, s);
	EXPECT_EQ(std::string(out.data),
		  "Server             Max   Tot   Que   Run   Hld   Wat   Trn   Ext   Com Status    \n"
		  "----------------   ---   ---   ---   ---   ---   ---   ---   ---   --- ----------\n"
		  "head                 0     3     1     2     0     0     0     0     0 Active    \n");
	buf_free(&out);
}

TEST(QtoolsPbsnodesFormat, BlockListAndXml)
{
	Status st;
	batch_status *n = st.add("node1");
	attr(n, ATTR_NODE_state, nullptr, "offline");
	attr(n, ATTR_NODE_np, nullptr, "2");
	attr(n, ATTR_NODE_note, nullptr, "disk swap");
	EXPECT_EQ(text(pbsnodes_node, n),
		  "node1\n     state = offline\n     np = 2\n     note = disk swap\n\n");
	buf out;
	buf_init(&out);
	pbsnodes_list_line(&out, n, 1);
	pbsnodes_list_line(&out, n, 0);
	EXPECT_EQ(std::string(out.data),
		  "node1                offline                    disk swap\n"
		  "node1                offline\n");
	buf_reset(&out);
	pbsnodes_xml(&out, st.bs);
	EXPECT_EQ(std::string(out.data),
		  "<Data><Node><name>node1</name><state>offline</state><np>2</np>"
		  "<note>disk swap</note></Node></Data>\n");
	buf_free(&out);
}

TEST(QtoolsQmgr, ParsesTheSubset)
{
	qmgr_cmd c;
	char err[256];
	ASSERT_EQ(qmgr_parse("set server scheduling = False", &c, err, sizeof(err)), 1);
	EXPECT_EQ(c.command, MGR_CMD_SET);
	EXPECT_EQ(c.objtype, MGR_OBJ_SERVER);
	EXPECT_EQ(c.name, nullptr);
	ASSERT_NE(c.attrs, nullptr);
	EXPECT_STREQ(c.attrs->name, "scheduling");
	EXPECT_STREQ(c.attrs->value, "False");
	qmgr_cmd_free(&c);

	ASSERT_EQ(qmgr_parse("s q batch resources_default.walltime=01:00:00, enabled = True", &c,
			     err, sizeof(err)), 1);
	EXPECT_EQ(c.objtype, MGR_OBJ_QUEUE);
	EXPECT_STREQ(c.name, "batch");
	EXPECT_STREQ(c.attrs->name, "resources_default");
	EXPECT_STREQ(c.attrs->resource, "walltime");
	EXPECT_STREQ(c.attrs->next->name, "enabled");
	qmgr_cmd_free(&c);

	ASSERT_EQ(qmgr_parse("set server managers += \"bob@*\"", &c, err, sizeof(err)), 1);
	EXPECT_EQ(c.attrs->op, INCR);
	EXPECT_STREQ(c.attrs->value, "bob@*");
	qmgr_cmd_free(&c);

	ASSERT_EQ(qmgr_parse("create node node4 np=2", &c, err, sizeof(err)), 1);
	EXPECT_EQ(c.command, MGR_CMD_CREATE);
	EXPECT_STREQ(c.name, "node4");
	qmgr_cmd_free(&c);

	ASSERT_EQ(qmgr_parse("list node", &c, err, sizeof(err)), 1);
	EXPECT_EQ(c.name, nullptr);
	qmgr_cmd_free(&c);

	EXPECT_EQ(qmgr_parse("  # comment", &c, err, sizeof(err)), 0);
	EXPECT_EQ(qmgr_parse("quit", &c, err, sizeof(err)), 2);
	for (const char *bad : { "frob server", "set", "set widget x=1", "set server scheduling",
				 "set server scheduling =", "set server a=1,", "set node = 1",
				 "unset server", "set server \"open" })
		EXPECT_EQ(qmgr_parse(bad, &c, err, sizeof(err)), -1) << bad;
}

} // namespace
