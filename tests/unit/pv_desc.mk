UNIT_TESTS += pv_desc
pv_desc_SRCS := mm/pv_desc.c
