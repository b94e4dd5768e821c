/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The herd binary: herd_main() with no app of its own (the command line or
 * the config file names one, or the embedded default serves the current
 * directory). Programs linked with libherd call herd_main() the same way.
 */
#include "herd.h"

int
main(int argc, char **argv)
{
	return herd_main(argc, argv, 0);
}
