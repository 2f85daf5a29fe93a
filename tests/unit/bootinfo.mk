UNIT_TESTS += bootinfo
bootinfo_SRCS := hv/bootinfo_mb2.c hv/bootinfo_mb1.c hv/bootinfo_common.c
