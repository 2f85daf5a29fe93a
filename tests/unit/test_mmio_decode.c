/* Unit tests for arch/x86_64/hvm/mmio_decode.c: the MOV forms of an xAPIC
 * MMIO access, with the encodings GCC emits for Linux's apic_read/
 * apic_write (absolute SIB disp32, base+disp) and our PVH test kernels,
 * and the refusals. Encodings checked against `objdump -d` of gas output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include <keel/mmio_decode.h>

#define DECODE(mode, ...) ({ \
    static const uint8_t b_[] = { __VA_ARGS__ }; \
    rc = mmio_decode(b_, sizeof(b_), mode, &m); })

static struct mmio_insn m;
static int rc;

static void expect(unsigned len, unsigned size, bool write, unsigned reg)
{
    assert_int_equal(rc, MMIO_DECODE_OK);
    assert_int_equal(m.len, len);
    assert_int_equal(m.size, size);
    assert_int_equal(m.write, write);
    assert_int_equal(m.has_imm, false);
    assert_int_equal(m.reg, reg);
}

static void loads_and_stores_64(void **state)
{
    (void)state;
    DECODE(MMIO_CODE64, 0x8b, 0x04, 0x25, 0x30, 0xb0, 0x5f, 0xff);     /* mov 0xffffffffff5fb030,%eax */
    expect(7, 4, false, 0);
    DECODE(MMIO_CODE64, 0x89, 0x34, 0x25, 0xb0, 0xb0, 0x5f, 0xff);     /* mov %esi,0xffffffffff5fb0b0 */
    expect(7, 4, true, 6);
    DECODE(MMIO_CODE64, 0x8b, 0x87, 0x20, 0x03, 0x00, 0x00);           /* mov 0x320(%rdi),%eax */
    expect(6, 4, false, 0);
    DECODE(MMIO_CODE64, 0x44, 0x8b, 0x80, 0x00, 0x03, 0x00, 0x00);     /* mov 0x300(%rax),%r8d */
    expect(7, 4, false, 8);
    DECODE(MMIO_CODE64, 0x45, 0x89, 0x3c, 0x24);                       /* mov %r15d,(%r12) */
    expect(4, 4, true, 15);
    DECODE(MMIO_CODE64, 0x8b, 0x44, 0x24, 0x08);                       /* mov 0x8(%rsp),%eax */
    expect(4, 4, false, 0);
    DECODE(MMIO_CODE64, 0x8b, 0x8c, 0x24, 0x00, 0x01, 0x00, 0x00);     /* mov 0x100(%rsp),%ecx */
    expect(7, 4, false, 1);
    DECODE(MMIO_CODE64, 0x8b, 0x55, 0x00);                             /* mov 0x0(%rbp),%edx */
    expect(3, 4, false, 2);
    DECODE(MMIO_CODE64, 0x8b, 0x1d, 0x10, 0x00, 0x00, 0x00);           /* mov 0x10(%rip),%ebx */
    expect(6, 4, false, 3);
    DECODE(MMIO_CODE64, 0x8b, 0x04, 0x8d, 0x00, 0x00, 0xe0, 0xfe);     /* mov -0x1200000(,%rcx,4),%eax */
    expect(7, 4, false, 0);
    DECODE(MMIO_CODE64, 0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00);     /* mov 0x10(%rip),%rax */
    expect(7, 8, false, 0);
    DECODE(MMIO_CODE64, 0x66, 0x89, 0x10);                             /* mov %dx,(%rax) */
    expect(3, 2, true, 2);
    DECODE(MMIO_CODE64, 0x65, 0x8b, 0x00);                             /* mov %gs:(%rax),%eax */
    expect(3, 4, false, 0);
    DECODE(MMIO_CODE64, 0x67, 0x8b, 0x00);                             /* mov (%eax),%eax */
    expect(3, 4, false, 0);
}

static void rex_must_be_last(void **state)
{
    (void)state;
    DECODE(MMIO_CODE64, 0x48, 0x66, 0x89, 0x10);    /* REX then 66: the REX is ignored */
    expect(4, 2, true, 2);
    DECODE(MMIO_CODE64, 0x66, 0x4c, 0x89, 0x10);    /* 66 then REX.WR: 8 bytes, r10 */
    expect(4, 8, true, 10);
}

static void immediates(void **state)
{
    (void)state;
    DECODE(MMIO_CODE64, 0xc7, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00);
    assert_int_equal(rc, 0);                        /* movl $0,0xfee000b0 */
    assert_int_equal(m.len, 11);
    assert_true(m.write && m.has_imm);
    assert_int_equal(m.imm, 0);
    DECODE(MMIO_CODE64, 0xc7, 0x40, 0x10, 0xff, 0x01, 0x00, 0x80);    /* movl $0x800001ff,0x10(%rax) */
    assert_int_equal(rc, 0);
    assert_int_equal(m.len, 7);
    assert_int_equal(m.size, 4);
    assert_int_equal(m.imm, 0x800001ff);
    DECODE(MMIO_CODE64, 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff);    /* movq $-1,(%rax) */
    assert_int_equal(rc, 0);
    assert_int_equal(m.size, 8);
    assert_int_equal(m.imm, ~0UL);
    DECODE(MMIO_CODE64, 0x66, 0xc7, 0x00, 0x34, 0x12);                /* movw $0x1234,(%rax) */
    assert_int_equal(rc, 0);
    assert_int_equal(m.len, 5);
    assert_int_equal(m.size, 2);
    assert_int_equal(m.imm, 0x1234);
}

static void moffs(void **state)
{
    (void)state;
    DECODE(MMIO_CODE64, 0xa1, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00);   /* movabs 0xfee00030,%eax */
    expect(9, 4, false, 0);
    DECODE(MMIO_CODE64, 0x48, 0xa3, 0x30, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00);
    expect(10, 8, true, 0);
    DECODE(MMIO_CODE64, 0x67, 0xa1, 0x30, 0x00, 0xe0, 0xfe);          /* addr32: moffs32 */
    expect(6, 4, false, 0);
    DECODE(MMIO_CODE32, 0xa1, 0x30, 0x00, 0xe0, 0xfe);                /* 32-bit code */
    expect(5, 4, false, 0);
    DECODE(MMIO_CODE32, 0xa3, 0xb0, 0x00, 0xe0, 0xfe);
    expect(5, 4, true, 0);
}

static void code32(void **state)
{
    (void)state;
    DECODE(MMIO_CODE32, 0x8b, 0x15, 0x20, 0x00, 0xe0, 0xfe);          /* mov 0xfee00020,%edx (absolute) */
    expect(6, 4, false, 2);
    DECODE(MMIO_CODE32, 0x40);                                        /* inc %eax, not a REX */
    assert_int_equal(rc, MMIO_DECODE_UNSUPPORTED);
    DECODE(MMIO_CODE32, 0x67, 0x8b, 0x07);                            /* 16-bit addressing */
    assert_int_equal(rc, MMIO_DECODE_UNSUPPORTED);
    DECODE(MMIO_CODE16, 0x8b, 0x07);
    assert_int_equal(rc, MMIO_DECODE_UNSUPPORTED);
}

static void refusals(void **state)
{
    (void)state;
    DECODE(MMIO_CODE64, 0x8b, 0xc0);                                  /* mov %eax,%eax */
    assert_int_equal(rc, MMIO_DECODE_NOT_MEMORY);
    DECODE(MMIO_CODE64, 0xf0, 0x09, 0x00);                            /* lock or %eax,(%rax) */
    assert_int_equal(rc, MMIO_DECODE_UNSUPPORTED);
    DECODE(MMIO_CODE64, 0xf3, 0x89, 0x00);
    assert_int_equal(rc, MMIO_DECODE_UNSUPPORTED);
    DECODE(MMIO_CODE64, 0x0f, 0xb6, 0x00);                            /* movzbl (%rax),%eax */
    assert_int_equal(rc, MMIO_DECODE_UNSUPPORTED);
    DECODE(MMIO_CODE64, 0xc7, 0x48, 0x10, 0, 0, 0, 0);                /* C7 /1 */
    assert_int_equal(rc, MMIO_DECODE_UNSUPPORTED);
    DECODE(MMIO_CODE64, 0x87, 0x00);                                  /* xchg */
    assert_int_equal(rc, MMIO_DECODE_UNSUPPORTED);
    DECODE(MMIO_CODE64, 0x8a, 0x00);                                  /* byte mov */
    assert_int_equal(rc, MMIO_DECODE_UNSUPPORTED);
}

static void short_and_long(void **state)
{
    (void)state;
    DECODE(MMIO_CODE64, 0x8b, 0x04, 0x25, 0x30, 0x00, 0xe0);
    assert_int_equal(rc, MMIO_DECODE_SHORT);
    DECODE(MMIO_CODE64, 0x8b);
    assert_int_equal(rc, MMIO_DECODE_SHORT);
    DECODE(MMIO_CODE64, 0x8b, 0x04);
    assert_int_equal(rc, MMIO_DECODE_SHORT);
    DECODE(MMIO_CODE64, 0xc7, 0x00, 0x01, 0x02);
    assert_int_equal(rc, MMIO_DECODE_SHORT);
    DECODE(MMIO_CODE64, 0x66, 0x66);
    assert_int_equal(rc, MMIO_DECODE_SHORT);
    /* 16 bytes: past the architectural limit, nothing beyond 15 is read. */
    DECODE(MMIO_CODE64, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
           0x8b, 0x04, 0x25, 0x30, 0x00);
    assert_int_equal(rc, MMIO_DECODE_SHORT);
    DECODE(MMIO_CODE64, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x8b, 0x04, 0x25,
           0x30, 0x00, 0xe0, 0xfe);                                   /* exactly 15 */
    expect(15, 4, false, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_and_stores_64),
        cmocka_unit_test(rex_must_be_last),
        cmocka_unit_test(immediates),
        cmocka_unit_test(moffs),
        cmocka_unit_test(code32),
        cmocka_unit_test(refusals),
        cmocka_unit_test(short_and_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
