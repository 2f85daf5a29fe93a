UNIT_TESTS += console_rx
console_rx_SRCS := hv/console_rx.c
