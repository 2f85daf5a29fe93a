UNIT_TESTS += cmdline
cmdline_SRCS := hv/cmdline.c arch/x86_64/uart_cfg.c hv/lib/strutil.c
