# The PVH smoke kernel (tests/guests/pvh_smoke/): one assembly file, linked
# at 1 MiB; built with `make guests` into build/pvh_smoke/ (not
# build/guests/, whose kernels run-keel.sh boots as PV dom0s).
PVH_SMOKE_ELF := $(B)/pvh_smoke/pvh_smoke.elf

guests: $(PVH_SMOKE_ELF)

$(PVH_SMOKE_ELF): tests/guests/pvh_smoke/pvh_smoke.S tests/guests/pvh_smoke/pvh_smoke.ld
	@mkdir -p $(@D)
	@echo "  AS+LD   $@"
	@$(CC) -c -o $(@D)/pvh_smoke.o $<
	@$(LD) -nostdlib -static -z max-page-size=0x1000 -z noexecstack --build-id=none \
	       --no-warn-rwx-segments -T tests/guests/pvh_smoke/pvh_smoke.ld -o $@ $(@D)/pvh_smoke.o
