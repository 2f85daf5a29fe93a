UNIT_TESTS += unxz
unxz_SRCS := hv/decompress/unxz.c hv/decompress/lzma2.c
