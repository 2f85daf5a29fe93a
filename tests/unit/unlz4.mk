UNIT_TESTS += unlz4
unlz4_SRCS := hv/decompress/unlz4.c
