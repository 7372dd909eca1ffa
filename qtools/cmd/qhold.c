/* qhold: place holds on jobs (Torque's qhold). On a running job whose
 * Checkpoint allows it, the server checkpoints the job and ends it. */
#include "qtools/lib/cmds.h"

int main(int argc, char **argv)
{
	return hold_or_release_main(argc, argv, 0);
}
