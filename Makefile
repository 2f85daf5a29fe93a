# Keel: top-level build.
#   make            build/keel.elf          make iso     build/keel.iso
#   make test       all tests (installs missing Debian packages first)
#   make run        boot Keel in QEMU       make install put it in /boot + GRUB entry
.SECONDEXPANSION:
.DEFAULT_GOAL := all
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

CC      := gcc
LD      := ld
OBJCOPY := objcopy
B       := build

# -fno-ipa-reference: GCC's ipa-reference lets a load of a static variable
# move above a call to a function that takes a lock, when that function does
# not itself touch the variable: with several CPUs that reads it outside the
# lock (seen: log lines lost; hv/selftest_console.c checks for it).
CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
           -ffreestanding -fno-builtin -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
           -Iinclude -fpie -fno-plt -fno-stack-protector -fno-asynchronous-unwind-tables \
           -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -mno-red-zone -mgeneral-regs-only -mcmodel=small \
           -fcf-protection=none -fno-ipa-reference -MMD -MP
ASFLAGS := -Iinclude -D__ASSEMBLY__ -MMD -MP
# .boot is one RWX segment: it runs before paging and is not mapped after.
LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-dynamic-linker \
           -z norelro --build-id=none --no-warn-rwx-segments

SRCDIRS := arch/x86_64 arch/x86_64/acpi arch/x86_64/hvm arch/x86_64/svm arch/x86_64/vmx hv hv/lib hv/build hv/decompress mm sched hypercall
C_SRCS  := $(filter-out $(KEEL_EXCLUDE),$(foreach d,$(SRCDIRS),$(wildcard $(d)/*.c)))
S_SRCS  := $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.S))
OBJS    := $(patsubst %,$(B)/obj/%.o,$(C_SRCS) $(S_SRCS))

include tests/unit/unit.mk
# PV test kernels (tests/guests/): `make guests` builds build/guests/*.elf.
-include tests/guests/guests.mk
# PVH test kernels (tests/guests/pvh/): `make pvh-guests`.
-include tests/guests/pvh/pvh.mk
# The PVH smoke kernel (tests/boot/run.sh case pvh-smoke).
-include tests/guests/pvh_smoke/pvh_smoke.mk

.PHONY: all clean unit test run iso install bench guests linux
all: $(B)/keel.elf

$(B)/obj/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(B)/obj/%.S.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	@$(CC) $(ASFLAGS) -c $< -o $@

# Three links: without symbols, then with a table of pass 1's symbols, then
# with pass 2's. The table has the same size in passes 2 and 3, so pass 3's
# addresses equal pass 2's and its table is exact (checked below).
$(B)/empty-syms.o:
	@mkdir -p $(@D)
	@printf '\t.section .keel_symtab, "a"\n\t.globl keel_symtab_count, keel_symtab_addrs, keel_symtab_name_offs, keel_symtab_names\nkeel_symtab_count: .quad 0\nkeel_symtab_addrs:\nkeel_symtab_name_offs:\nkeel_symtab_names:\n' | $(CC) -c -x assembler - -o $@

$(B)/keel.elf: $(OBJS) linker.ld $(B)/empty-syms.o tools/gensyms.sh tools/check-image.sh
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) -T linker.ld -o $(B)/keel.1 $(OBJS) $(B)/empty-syms.o
	@tools/gensyms.sh $(B)/keel.1 > $(B)/syms.1.S
	@$(CC) -c $(B)/syms.1.S -o $(B)/syms.1.o
	@$(LD) $(LDFLAGS) -T linker.ld -o $(B)/keel.2 $(OBJS) $(B)/syms.1.o
	@tools/gensyms.sh $(B)/keel.2 > $(B)/syms.2.S
	@$(CC) -c $(B)/syms.2.S -o $(B)/syms.2.o
	@$(LD) $(LDFLAGS) -T linker.ld -o $(B)/keel.syms $(OBJS) $(B)/syms.2.o
	@tools/gensyms.sh $(B)/keel.syms > $(B)/syms.3.S
	@cmp -s $(B)/syms.2.S $(B)/syms.3.S || { echo "symbol table did not converge"; exit 1; }
	@tools/check-image.sh $(B)/keel.syms
	@$(OBJCOPY) --strip-debug $(B)/keel.syms $@

clean:
	rm -rf $(B)

# Extra hypervisor options for `make run` and `make iso`, e.g. KEEL_OPTS=loglvl=debug
KEEL_OPTS ?=

# The package installs are recipe lines, not prerequisites: they must run
# before anything is built (gcc itself may be missing).
test:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory all
	@tests/run-all.sh

run:
	@tools/deps.sh run
	@$(MAKE) --no-print-directory all
	@tools/run.sh $(KEEL_OPTS)

iso: $(B)/keel.iso
$(B)/keel.iso: $(B)/keel.elf tools/mkiso.sh
	@echo "  ISO     $@"
	@tools/mkiso.sh $< $@ 0 "$(KEEL_OPTS)"

install: all
	@DESTDIR="$(DESTDIR)" tools/install.sh

bench: all
	@tools/bootbench.sh
	@tools/pvbench.sh
	@tools/pvhbench.sh
	@tools/linuxbench.sh
	@tools/pvhlinuxbench.sh

# Debian Linux on Keel (dom0 and domUs, driven over the serial console),
# then the same checks on Xen 4.17, the reference (tests/linux/run.sh).
LINUX_SETS := dom0 dom0-1cpu domu-1 domu-2 domu-4 domu-1-reboot
linux: all guests
	@tools/deps.sh test
	@tests/linux/run.sh $(LINUX_SETS)
	@tests/linux/run.sh --hv xen $(LINUX_SETS)

# Some unit tests work on Debian's real kernels (decompressors, builder).
unit: unit-build
	@tools/fetch-kernels.sh >/dev/null
	@tests/unit/run.sh $(UNIT_BINS)

-include $(OBJS:.o=.d)
