# Keel: top-level build. `make` builds build/keel.elf; `make test` runs all
# tests; `make run` boots Keel in QEMU; `make iso` builds build/keel.iso.
.SECONDEXPANSION:
.DEFAULT_GOAL := all
MAKEFLAGS += --no-builtin-rules

include tests/unit/unit.mk

.PHONY: all unit
all:

unit: unit-build
	tests/unit/run.sh $(UNIT_BINS)
