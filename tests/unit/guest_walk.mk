UNIT_TESTS += guest_walk
guest_walk_SRCS := mm/guest_walk.c
