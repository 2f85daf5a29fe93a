UNIT_TESTS += buddy
buddy_SRCS := mm/buddy.c
