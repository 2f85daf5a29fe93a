UNIT_TESTS += decompress_pick
decompress_pick_SRCS := hv/decompress/pick.c hv/decompress/gunzip.c hv/decompress/unlz4.c
