/* SPDX-License-Identifier: GPL-2.0-only */
/* Clock indices of the genpool test board, in the style of a dt-bindings header. */
#ifndef _DT_BINDINGS_CLOCK_GENPOOL_BOARD_H
#define _DT_BINDINGS_CLOCK_GENPOOL_BOARD_H

#define GENPOOL_CLK_OCRAM	12
#define GENPOOL_CLK_DSP		13

#define GENPOOL_SRAM_BASE	0x20000000
#define GENPOOL_SRAM_SIZE	(64 * 1024)

#endif
