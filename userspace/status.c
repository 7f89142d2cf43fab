// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: pvfbt --status. */
#include <stdio.h>
#include <unistd.h>

#include "pvfbt.h"
#include "consumer.h"
#include "device.h"

static const char *env_str(uint32_t env)
{
	switch (env) {
	case PVFBT_ENV_NATIVE:
		return "native";
	case PVFBT_ENV_XEN_PV:
		return "xen-pv";
	case PVFBT_ENV_XEN_HVM:
		return "xen-hvm";
	}
	return "unknown";
}

int cmd_status(void)
{
	struct pvfbt_status st;
	int fd = dev_open();

	dev_status(fd, &st, 0);
	printf("abi version:    %u%s\n", st.abi_version,
	       st.abi_version == PVFBT_ABI_VERSION ? "" :
	       " (consumer ABI differs: rebuild)");
	printf("environment:    %s\n", env_str(st.env));
	printf("cpus:           %u\n", st.nr_cpus);
	printf("probes armed:   %u\n", st.nr_armed);
	printf("kernel release: %.*s\n", (int)sizeof(st.release), st.release);
	printf("functions:      %u\n", st.nr_funcs);
	printf("slots:          %u/%u\n", st.nr_slots, st.nr_slots_max);
	printf("sites:          %u (%u emulated, %u boosted, %u stepped)\n", st.nr_sites,
	       st.nr_sites_emulated, st.nr_sites_boosted,
	       st.nr_sites - st.nr_sites_emulated - st.nr_sites_boosted);
	printf("mechanisms:     %u entries armed as a call, %u sites as a jump (no trap), the rest int3\n",
	       st.nr_entries_called, st.nr_sites_jumped);
	printf("jumps waiting:  %u sites armed by int3 until their jump is written\n",
	       st.nr_sites_waiting);
	printf("text writes:    %u batches, %u pages through an alias, %u text_poke() calls\n",
	       st.text_batches, st.text_alias_pages, st.text_pokes);
	printf("text refused:   %u site writes (the text was not as pvfbt left it)\n",
	       st.text_refused);
	printf("ring:           %u records of %u bytes per cpu (%u bytes mapped)\n",
	       st.ring_records, st.record_size, st.ring_mmap_size);
	printf("memory at rest: %llu KiB (catalogue, sites, slots)\n",
	       (unsigned long long)(st.mem_tables >> 10));
	printf("session memory: %llu KiB (%u rings)\n",
	       (unsigned long long)(st.mem_rings >> 10), st.nr_rings);
	if (st.owner_pid)
		printf("session owner:  pid %u\n", st.owner_pid);
	else
		printf("session owner:  none\n");
	close(fd);
	return st.abi_version == PVFBT_ABI_VERSION ? 0 : 1;
}
