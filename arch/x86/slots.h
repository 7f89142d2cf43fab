/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PVFBT_SLOTS_H
#define _PVFBT_SLOTS_H
#define PVFBT_SLOT_SIZE	16	/* 15-byte instruction + int3 guard */
#define PVFBT_NR_SLOTS	196608	/* every entry (a jump entry takes two) and return site */
/* The last slot is no site's: a "ret" that resumes emulated hits with TF set. */
#define PVFBT_TF_PAD_SLOT	(PVFBT_NR_SLOTS - 1)
#endif
