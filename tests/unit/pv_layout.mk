UNIT_TESTS += pv_layout
pv_layout_SRCS := hv/build/elf.c hv/build/xen_notes.c hv/build/xen_features.c \
                  hv/build/bzimage.c hv/build/pv_image.c hv/build/pv_layout.c
