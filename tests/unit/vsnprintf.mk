UNIT_TESTS += vsnprintf
vsnprintf_SRCS := hv/lib/vsnprintf.c
