# PV test kernels: `make guests` builds build/guests/<name>.elf for every
# tests/guests/t_<name>.c, linked with tests/guests/lib/. They run in guest
# kernel mode (ring 3) under a Xen-ABI hypervisor: no PIE, kernel code model
# (linked at 0xffffffff80000000), no red zone (the hypervisor builds bounce
# frames just below the interrupted RSP), no SSE. tests/guests/common/ is
# the part of the library the PVH kernels (pvh/pvh.mk) build too.
GUEST_DIR      := tests/guests
GUEST_B        := $(B)/guests
GUEST_COMMON   := $(GUEST_DIR)/common
GUEST_LIB_SRCS := $(wildcard $(GUEST_DIR)/lib/*.c) $(wildcard $(GUEST_DIR)/lib/*.S) \
                  $(wildcard $(GUEST_COMMON)/*.c)
# Pure pieces of the hypervisor's library the test kernels share with it.
GUEST_HVLIB    := hv/lib/string.c hv/lib/vsnprintf.c
GUEST_LIB_OBJS := $(patsubst $(GUEST_DIR)/%,$(GUEST_B)/obj/%.o,$(GUEST_LIB_SRCS)) \
                  $(patsubst hv/lib/%,$(GUEST_B)/obj/hvlib/%.o,$(GUEST_HVLIB))
GUEST_NAMES    := $(patsubst $(GUEST_DIR)/t_%.c,%,$(wildcard $(GUEST_DIR)/t_*.c))
GUEST_ELFS     := $(patsubst %,$(GUEST_B)/%.elf,$(GUEST_NAMES))
GUEST_LDS      := $(GUEST_DIR)/lib/guest.ld

GUEST_CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
                 -ffreestanding -fno-builtin -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
                 -Iinclude -I$(GUEST_DIR)/lib -I$(GUEST_COMMON) -fno-pie -mcmodel=kernel -fno-stack-protector \
                 -fno-asynchronous-unwind-tables -fno-omit-frame-pointer -mno-red-zone \
                 -mgeneral-regs-only -fcf-protection=none -fno-tree-loop-distribute-patterns -MMD -MP
GUEST_ASFLAGS := -Iinclude -I$(GUEST_DIR)/lib -I$(GUEST_COMMON) -D__ASSEMBLY__ -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
                 --build-id=none --no-warn-rwx-segments -T $(GUEST_LDS)

.PHONY: guests
guests: $(GUEST_ELFS)

$(GUEST_B)/%.elf: $(GUEST_B)/obj/t_%.c.o $(GUEST_LIB_OBJS) $(GUEST_LDS)
	@echo "  LD      $@"
	@$(LD) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_LIB_OBJS)

$(GUEST_B)/obj/%.c.o: $(GUEST_DIR)/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

# Benchmark kernels (tests/guests/bench/*.c): not tests, run by
# tools/pvbench.sh on Keel and on Xen.
BENCH_NAMES := $(patsubst $(GUEST_DIR)/bench/%.c,%,$(wildcard $(GUEST_DIR)/bench/*.c))
BENCH_ELFS  := $(patsubst %,$(GUEST_B)/bench/%.elf,$(BENCH_NAMES))
.PHONY: bench-guests
bench-guests: $(BENCH_ELFS)

$(GUEST_B)/bench/%.elf: $(GUEST_B)/obj/bench/%.c.o $(GUEST_LIB_OBJS) $(GUEST_LDS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(LD) $(GUEST_LDFLAGS) -o $@ $< $(GUEST_LIB_OBJS)

$(GUEST_B)/obj/hvlib/%.c.o: hv/lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_B)/obj/%.S.o: $(GUEST_DIR)/%.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(GUEST_ASFLAGS) -c $< -o $@

.SECONDARY: $(GUEST_LIB_OBJS) $(patsubst %,$(GUEST_B)/obj/t_%.c.o,$(GUEST_NAMES))
-include $(GUEST_LIB_OBJS:.o=.d) $(patsubst %,$(GUEST_B)/obj/t_%.c.d,$(GUEST_NAMES))
