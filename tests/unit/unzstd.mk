UNIT_TESTS += unzstd
unzstd_SRCS := hv/decompress/unzstd.c hv/decompress/zstd_fse.c hv/decompress/zstd_huf.c \
               hv/decompress/zstd_seq.c hv/decompress/xxhash64.c
