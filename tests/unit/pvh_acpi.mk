UNIT_TESTS += pvh_acpi
pvh_acpi_SRCS := hv/build/pvh_acpi.c arch/x86_64/acpi/rsdp.c arch/x86_64/acpi/tables.c \
                 arch/x86_64/acpi/madt.c arch/x86_64/acpi/fadt.c \
                 arch/x86_64/acpi/hpet.c arch/x86_64/acpi/aml_s5.c
