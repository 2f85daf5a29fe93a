UNIT_TESTS += timer_queue
timer_queue_SRCS := sched/timer_queue.c
