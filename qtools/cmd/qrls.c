/* qrls: release holds on jobs (Torque's qrls). */
#include "qtools/lib/cmds.h"

int main(int argc, char **argv)
{
	return hold_or_release_main(argc, argv, 1);
}
