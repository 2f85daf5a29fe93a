#!/bin/sh
# gensyms.sh IMAGE > symbols.S: the text symbols of a linked hypervisor image
# as a sorted table that hv/symbols.c searches (for stack traces).
set -eu
nm -n --defined-only "$1" | awk 'BEGIN { n = 0 }
    
    $2 ~ /^[tT]$/ && $3 !~ /^\./ { addr[n] = $1; name[n] = $3; n++ }
    END {
        print "\t.section .keel_symtab, \"a\""
        print "\t.balign 8"
        print "\t.globl keel_symtab_count, keel_symtab_addrs, keel_symtab_name_offs, keel_symtab_names"
        print "keel_symtab_count:\n\t.quad " n
        print "keel_symtab_addrs:"
        for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
        print "keel_symtab_name_offs:"
        off = 0
        for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
        print "keel_symtab_names:"
        for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
    }'
