UNIT_TESTS += pv_pt
pv_pt_SRCS := mm/pv_pt.c mm/pv_refs.c
