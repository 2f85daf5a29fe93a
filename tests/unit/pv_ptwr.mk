UNIT_TESTS += pv_ptwr
pv_ptwr_SRCS := mm/pv_ptwr_insn.c
