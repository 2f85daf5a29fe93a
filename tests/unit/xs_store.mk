UNIT_TESTS += xs_store
xs_store_SRCS := hv/xs_store.c hv/lib/strutil.c hv/lib/vsnprintf.c
