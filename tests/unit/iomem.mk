UNIT_TESTS += iomem
iomem_SRCS := mm/iomem.c
