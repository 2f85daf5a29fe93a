# Host unit tests of pure code (cmocka). Each tests/unit/NAME.mk adds NAME to
# UNIT_TESTS and sets NAME_SRCS (hypervisor sources under test); the test
# itself is tests/unit/test_NAME.c. Built with ASan+UBSan.
UNIT_TESTS :=
include $(filter-out tests/unit/unit.mk,$(wildcard tests/unit/*.mk))

UNIT_CC     ?= gcc
UNIT_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -DKEEL_HOSTED \
               -Iinclude -Itests/unit/support \
               -fsanitize=address,undefined -fno-sanitize-recover=all
UNIT_LIBS   := -lcmocka
UNIT_BINS   := $(addprefix build/unit/test_,$(UNIT_TESTS))

UNIT_SUPPORT := $(wildcard tests/unit/support/*.c)

build/unit/test_%: tests/unit/test_%.c $$($$*_SRCS) $(UNIT_SUPPORT) $$(wildcard include/keel/*.h include/public/*.h tests/unit/*.h tests/unit/support/*.h) tests/unit/unit.mk tests/unit/%.mk
	@mkdir -p $(@D)
	@echo "  UNIT    $@"
	@$(UNIT_CC) $(UNIT_CFLAGS) -o $@ $< $($*_SRCS) $(UNIT_SUPPORT) $(UNIT_LIBS)

unit-build: $(UNIT_BINS)
