UNIT_TESTS += guest_range
guest_range_SRCS :=
