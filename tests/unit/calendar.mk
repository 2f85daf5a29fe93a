UNIT_TESTS += calendar
calendar_SRCS := hv/lib/calendar.c
