UNIT_TESTS += heap
heap_SRCS := mm/heap.c
