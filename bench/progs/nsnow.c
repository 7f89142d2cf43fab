// SPDX-License-Identifier: GPL-2.0
/* nsnow: print CLOCK_MONOTONIC in nanoseconds (busybox date has no %N). */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%llu\n", (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec);
	return 0;
}
