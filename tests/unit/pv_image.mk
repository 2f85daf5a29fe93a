UNIT_TESTS += pv_image
pv_image_SRCS := hv/build/elf.c hv/build/xen_notes.c hv/build/xen_features.c \
                 hv/build/bzimage.c hv/build/pv_image.c $(wildcard hv/decompress/*.c)
