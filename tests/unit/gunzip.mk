UNIT_TESTS += gunzip
gunzip_SRCS := hv/decompress/gunzip.c
