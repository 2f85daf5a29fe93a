# PVH test kernels: `make pvh-guests` builds build/guests/pvh/<name>.elf for
# every tests/guests/pvh/t_<name>.c, linked with tests/guests/pvh/lib/.
# Entered through the PHYS32_ENTRY note in 32-bit protected mode; the
# library moves to long mode and runs identity-mapped in ring 0 at 1 MiB
# (small code model, no PIE), no red zone (interrupts use the same stack),
# no SSE. What the PV library shares with this one (verdict, console,
# command line, pvclock, events) is tests/guests/common/, built here too.
PVH_DIR       := tests/guests/pvh
PVH_B         := $(B)/guests/pvh
PVH_COMMON    := tests/guests/common
PVH_LIB_SRCS  := $(wildcard $(PVH_DIR)/lib/*.c) $(wildcard $(PVH_DIR)/lib/*.S)
PVH_HVLIB     := hv/lib/string.c hv/lib/vsnprintf.c
PVH_LIB_OBJS  := $(patsubst $(PVH_DIR)/%,$(PVH_B)/obj/%.o,$(PVH_LIB_SRCS)) \
                 $(patsubst $(PVH_COMMON)/%,$(PVH_B)/obj/common/%.o,$(wildcard $(PVH_COMMON)/*.c)) \
                 $(patsubst hv/lib/%,$(PVH_B)/obj/hvlib/%.o,$(PVH_HVLIB))
PVH_NAMES     := $(patsubst $(PVH_DIR)/t_%.c,%,$(wildcard $(PVH_DIR)/t_*.c))
PVH_ELFS      := $(patsubst %,$(PVH_B)/%.elf,$(PVH_NAMES))
PVH_LDS       := $(PVH_DIR)/lib/pvh.ld

PVH_CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
               -ffreestanding -fno-builtin -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
               -Iinclude -I$(PVH_DIR)/lib -I$(PVH_COMMON) -fno-pie -mcmodel=small -fno-stack-protector \
               -fno-asynchronous-unwind-tables -fno-omit-frame-pointer -mno-red-zone \
               -mgeneral-regs-only -fcf-protection=none -fno-tree-loop-distribute-patterns -MMD -MP
PVH_ASFLAGS := -Iinclude -I$(PVH_DIR)/lib -I$(PVH_COMMON) -D__ASSEMBLY__ -MMD -MP
PVH_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=0x1000 -z noexecstack \
               --build-id=none --no-warn-rwx-segments -T $(PVH_LDS)

.PHONY: pvh-guests
pvh-guests: $(PVH_ELFS)

$(PVH_B)/%.elf: $(PVH_B)/obj/t_%.c.o $(PVH_LIB_OBJS) $(PVH_LDS)
	@echo "  LD      $@"
	@$(LD) $(PVH_LDFLAGS) -o $@ $< $(PVH_LIB_OBJS)

$(PVH_B)/obj/%.c.o: $(PVH_DIR)/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(PVH_CFLAGS) -c $< -o $@

$(PVH_B)/obj/common/%.c.o: $(PVH_COMMON)/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(PVH_CFLAGS) -c $< -o $@

$(PVH_B)/obj/hvlib/%.c.o: hv/lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(PVH_CFLAGS) -c $< -o $@

$(PVH_B)/obj/%.S.o: $(PVH_DIR)/%.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(PVH_ASFLAGS) -c $< -o $@

.SECONDARY: $(PVH_LIB_OBJS) $(patsubst %,$(PVH_B)/obj/t_%.c.o,$(PVH_NAMES))
-include $(PVH_LIB_OBJS:.o=.d) $(patsubst %,$(PVH_B)/obj/t_%.c.d,$(PVH_NAMES))
