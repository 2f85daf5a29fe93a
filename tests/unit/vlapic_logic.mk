UNIT_TESTS += vlapic_logic
vlapic_logic_SRCS := arch/x86_64/hvm/vlapic_logic.c
