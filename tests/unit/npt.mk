UNIT_TESTS += npt
npt_SRCS := mm/npt.c
