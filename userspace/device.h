/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: the device (device.c). */
#ifndef PVFBT_DEVICE_H
#define PVFBT_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "pvfbt.h"
#include "output.h"
#include "select.h"

/* Open PVFBT_DEVICE or die saying why (not loaded, not root, busy). */
int dev_open(void);
/* PVFBT_IOC_STATUS; with check_abi, die unless the ABI is ours. */
void dev_status(int fd, struct pvfbt_status *st, int check_abi);
/* The whole catalogue (PVFBT_IOC_LIST in chunks), indexed. */
void dev_catalogue(int fd, struct catalogue *c);
/* If probe id is foreign-text, say so; returns whether it is. */
int warn_foreign(const struct catalogue *c, const struct pvfbt_func *f,
		 uint32_t id);
/*
 * After PVFBT_IOC_ENABLE said EBUSY: drop the selected probes that are now
 * foreign-text, saying which.  Returns how many were dropped.
 */
size_t drop_foreign(int fd, struct selection *sel);
/*
 * The kernel's BTF, to name and type arguments (btf.c), with every
 * catalogue function noted; NULL without it, said on stderr.
 */
struct kbtf *open_btf(const struct catalogue *c);

#endif
