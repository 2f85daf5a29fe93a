UNIT_TESTS += memmap
memmap_SRCS := mm/memmap.c
