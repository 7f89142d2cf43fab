// SPDX-License-Identifier: GPL-2.0
/* A stand-in for a module object, for pvfbt -l --ko tests (not a module). */
static const char modinfo_name[] __attribute__((section(".modinfo"), used)) =
	"license=GPL";
static const char modinfo_name2[] __attribute__((section(".modinfo"), used)) =
	"name=fake_mod";

int fake_init(void) __attribute__((section(".init.text")));
int fake_init(void) { return 0; }

int fake_read(int x);
int fake_read(int x) { return x + 1; }

static int __attribute__((noinline, used)) fake_helper(int x) { return x * 3; }

int fake_write(int x);
int fake_write(int x) { return fake_helper(x) + 2; }

int fake_data = 42;
