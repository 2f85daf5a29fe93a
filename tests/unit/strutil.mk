UNIT_TESTS += strutil
strutil_SRCS := hv/lib/strutil.c
