UNIT_TESTS += sched_policy
sched_policy_SRCS := sched/policy.c
