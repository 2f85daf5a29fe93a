UNIT_TESTS += mmio_decode
mmio_decode_SRCS := arch/x86_64/hvm/mmio_decode.c
