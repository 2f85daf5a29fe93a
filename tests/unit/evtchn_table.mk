UNIT_TESTS += evtchn_table
evtchn_table_SRCS := hv/evtchn_table.c
