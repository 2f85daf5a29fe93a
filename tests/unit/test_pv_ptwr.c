/* Unit tests for mm/pv_ptwr_insn.c: decoding and executing the writes a
 * PV kernel makes to its page-table entries (encodings from GNU as; flags
 * compared with the host CPU executing the same operation). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <keel/pv_ptwr.h>
#include <keel/errno.h>

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

static struct ptwr_insn decode(const uint8_t *b, unsigned n)
{
    struct ptwr_insn in;
    assert_int_equal(ptwr_decode(b, n, &in), 0);
    return in;
}

#define DECODE(...) ({ static const uint8_t b_[] = { __VA_ARGS__ }; decode(b_, sizeof(b_)); })

static void xchg_reg_mem(void **state)
{
    (void)state;
    struct ptwr_insn in = DECODE(0x48, 0x87, 0x10);             /* xchg %rdx,(%rax) */
    assert_int_equal(in.len, 3);
    assert_int_equal(in.op, PTWR_XCHG);
    assert_int_equal(in.size, 8);
    assert_true(in.lock);
    struct ptwr_gprs g = { { 0 } };
    g.r[RAX] = 0xffff888005a1b0b8UL;
    g.r[RDX] = 0;
    assert_int_equal(ptwr_address(&in, &g, 0, 0), 0xffff888005a1b0b8UL);
    struct ptwr_result r;
    ptwr_execute(&in, 0x80100000056d2067UL, &g, 0x246, &r);
    assert_true(r.write_mem);
    assert_int_equal(r.mem, 0);
    assert_int_equal(r.gprs.r[RDX], 0x80100000056d2067UL);
    assert_int_equal(r.rflags, 0x246);
}

static void lock_andb_sub_word(void **state)
{
    (void)state;
    struct ptwr_insn in = DECODE(0xf0, 0x80, 0x60, 0x01, 0xfd);  /* lock andb $0xfd,1(%rax) */
    assert_int_equal(in.len, 5);
    assert_int_equal(in.op, PTWR_AND);
    assert_int_equal(in.size, 1);
    assert_true(in.lock);
    struct ptwr_gprs g = { { 0 } };
    g.r[RAX] = 0x1000;
    assert_int_equal(ptwr_address(&in, &g, 0, 0), 0x1001);
    struct ptwr_result r;
    ptwr_execute(&in, 0x02, &g, 0, &r);
    assert_int_equal(r.mem, 0);
    assert_int_equal(r.rflags & 0x8d5, 0x44);                  /* ZF PF */
}

static void btr_immediate_and_register(void **state)
{
    (void)state;
    struct ptwr_insn in = DECODE(0xf0, 0x0f, 0xba, 0x30, 0x05); /* lock btrl $5,(%rax) */
    assert_int_equal(in.op, PTWR_BTR);
    assert_int_equal(in.size, 4);
    assert_false(in.src_is_reg);
    struct ptwr_gprs g = { { 0 } };
    struct ptwr_result r;
    ptwr_execute(&in, 0x67, &g, 0x40, &r);
    assert_int_equal(r.mem, 0x47);
    assert_int_equal(r.rflags, 0x41);                           /* CF set, ZF kept */

    in = DECODE(0xf0, 0x48, 0x0f, 0xb3, 0x30);                  /* lock btr %rsi,(%rax) */
    assert_true(in.src_is_reg);
    assert_int_equal(in.size, 8);
    g.r[RAX] = 0x2000;
    g.r[RSI] = 64 + 5;                                          /* bit 5 of the next qword */
    assert_int_equal(ptwr_address(&in, &g, 0, 0), 0x2008);
    ptwr_execute(&in, 0x20, &g, 0, &r);
    assert_int_equal(r.mem, 0);
    assert_int_equal(r.rflags, 1);
    g.r[RSI] = (uint64_t)-1;                                    /* bit 63 of the qword before */
    assert_int_equal(ptwr_address(&in, &g, 0, 0), 0x1ff8);
    ptwr_execute(&in, 1UL << 63, &g, 0, &r);
    assert_int_equal(r.mem, 0);
}

static void mov_forms(void **state)
{
    (void)state;
    struct ptwr_gprs g = { { 0 } };
    struct ptwr_result r;
    struct ptwr_insn in = DECODE(0x48, 0xc7, 0x04, 0xcf, 0, 0, 0, 0); /* movq $0,(%rdi,%rcx,8) */
    assert_int_equal(in.len, 8);
    assert_int_equal(in.op, PTWR_MOV);
    g.r[RDI] = 0x10000;
    g.r[RCX] = 3;
    assert_int_equal(ptwr_address(&in, &g, 0, 0), 0x10018);

    in = DECODE(0x88, 0x27);                                    /* mov %ah,(%rdi) */
    assert_int_equal(in.size, 1);
    g.r[RAX] = 0xab00;
    ptwr_execute(&in, 0, &g, 0, &r);
    assert_int_equal(r.mem, 0xab);

    in = DECODE(0xc7, 0x45, 0xf8, 0x78, 0x56, 0x34, 0x12);      /* movl $0x12345678,-8(%rbp) */
    g.r[RBP] = 0x3008;
    assert_int_equal(ptwr_address(&in, &g, 0, 0), 0x3000);
    ptwr_execute(&in, 0xffffffffUL, &g, 0, &r);
    assert_int_equal(r.mem, 0x12345678);

    in = DECODE(0x49, 0x89, 0x65, 0x00);                        /* mov %rsp,0(%r13) */
    assert_int_equal(in.base, R13);
    assert_int_equal(in.src, RSP);

    in = DECODE(0x65, 0xf0, 0x48, 0x83, 0x4b, 0x08, 0x40);      /* lock orq $0x40,%gs:8(%rbx) */
    assert_int_equal(in.seg, 5);
    assert_int_equal(in.op, PTWR_OR);
    g.r[RBX] = 0x100;
    assert_int_equal(ptwr_address(&in, &g, 0, 0x7000), 0x7108);

    in = DECODE(0x41, 0x83, 0x24, 0x24, 0xfd);                  /* andl $-3,(%r12) */
    assert_int_equal(in.imm, (uint64_t)-3);
    g.r[R12] = 0x5000;
    assert_int_equal(ptwr_address(&in, &g, 0, 0), 0x5000);
    ptwr_execute(&in, 0x80000002UL, &g, 0, &r);
    assert_int_equal(r.mem, 0x80000000UL);
    assert_int_equal(r.rflags & 0x8d5, 0x84);                   /* SF PF */
}

static void cmpxchg_success_and_failure(void **state)
{
    (void)state;
    struct ptwr_insn in = DECODE(0xf0, 0x48, 0x0f, 0xb1, 0x0f); /* lock cmpxchg %rcx,(%rdi) */
    assert_int_equal(in.op, PTWR_CMPXCHG);
    struct ptwr_gprs g = { { 0 } };
    struct ptwr_result r;
    g.r[RAX] = 0x1067;
    g.r[RCX] = 0x1065;
    ptwr_execute(&in, 0x1067, &g, 0, &r);
    assert_true(r.write_mem);
    assert_int_equal(r.mem, 0x1065);
    assert_true(r.rflags & 0x40);
    ptwr_execute(&in, 0x1027, &g, 0, &r);
    assert_false(r.write_mem);
    assert_int_equal(r.gprs.r[RAX], 0x1027);
    assert_false(r.rflags & 0x40);

    in = DECODE(0xf0, 0x44, 0x0f, 0xb1, 0x0d, 0x10, 0, 0, 0);  /* lock cmpxchg %r9d,0x10(%rip) */
    assert_int_equal(in.base, PTWR_RIP);
    assert_int_equal(in.size, 4);
    assert_int_equal(in.src, R9);
    assert_int_equal(ptwr_address(&in, &g, 0x4009, 0), 0x4019);
    g.r[RAX] = 0xffffffff00000001UL;
    ptwr_execute(&in, 2, &g, 0, &r);
    assert_int_equal(r.gprs.r[RAX], 2);                         /* 32-bit write zero-extends */
}

/* Flags of ADD/SUB/ADC/SBB/XOR against the host CPU (64- and 8-bit). */
static uint64_t host_flags(unsigned op, uint64_t a, uint64_t b, unsigned size, uint64_t cf_in,
                           uint64_t *res)
{
    uint64_t f = cf_in;
    switch (op * 16 + size) {
#define CASE(n, sz, insn, cons)                                                 \
    case n * 16 + sz:                                                            \
        __asm__("push %2; popfq; " insn " %3, %0; pushfq; pop %1"              \
                : "+r"(a), "=r"(f) : "r"(f), cons(b) : "cc");                    \
        break;
    CASE(PTWR_ADD, 8, "addq", "r")
    CASE(PTWR_SUB, 8, "subq", "r")
    CASE(PTWR_ADC, 8, "adcq", "r")
    CASE(PTWR_SBB, 8, "sbbq", "r")
    CASE(PTWR_XOR, 8, "xorq", "r")
#undef CASE
    case PTWR_ADD * 16 + 1: {
        uint8_t x = (uint8_t)a, y = (uint8_t)b;
        __asm__("push %2; popfq; addb %3, %0; pushfq; pop %1" : "+q"(x), "=r"(f) : "r"(f), "q"(y) : "cc");
        a = x;
        break;
    }
    case PTWR_SUB * 16 + 1: {
        uint8_t x = (uint8_t)a, y = (uint8_t)b;
        __asm__("push %2; popfq; subb %3, %0; pushfq; pop %1" : "+q"(x), "=r"(f) : "r"(f), "q"(y) : "cc");
        a = x;
        break;
    }
    default:
        fail();
    }
    *res = a;
    return f;
}

static void alu_flags_match_the_cpu(void **state)
{
    (void)state;
    static const uint64_t vals[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x7fffffffffffffffUL,
                                     0x8000000000000000UL, ~0UL, 0x1234567890abcdefUL };
    static const struct { uint8_t b[3]; unsigned op, size; } insns[] = {
        { { 0x48, 0x01, 0x10 }, PTWR_ADD, 8 }, { { 0x48, 0x29, 0x10 }, PTWR_SUB, 8 },
        { { 0x48, 0x11, 0x10 }, PTWR_ADC, 8 }, { { 0x48, 0x19, 0x10 }, PTWR_SBB, 8 },
        { { 0x48, 0x31, 0x10 }, PTWR_XOR, 8 }, { { 0x00, 0x10, 0x90 }, PTWR_ADD, 1 },
        { { 0x28, 0x10, 0x90 }, PTWR_SUB, 1 },
    };
    for (unsigned k = 0; k < sizeof(insns) / sizeof(insns[0]); k++) {
        struct ptwr_insn in;
        assert_int_equal(ptwr_decode(insns[k].b, 3, &in), 0);
        assert_int_equal(in.op, insns[k].op);
        assert_int_equal(in.size, insns[k].size);
        for (unsigned i = 0; i < 10; i++)
            for (unsigned j = 0; j < 10; j++)
                for (uint64_t cf = 0; cf < 2; cf++) {
                    struct ptwr_gprs g = { { 0 } };
                    g.r[RDX] = vals[j];
                    struct ptwr_result r;
                    ptwr_execute(&in, vals[i], &g, 0x202 | cf, &r);
                    uint64_t res, f = host_flags(insns[k].op, vals[i], vals[j], insns[k].size,
                                                 0x202 | cf, &res);
                    uint64_t m = insns[k].size == 8 ? ~0UL : 0xff;
                    assert_int_equal(r.mem, res & m);
                    uint64_t check = insns[k].op == PTWR_XOR ? 0x8c5 : 0x8d5;  /* AF undefined */
                    assert_int_equal(r.rflags & check, f & check);
                }
    }
}

static void refused(void **state)
{
    (void)state;
    static const uint8_t reg_dest[] = { 0x48, 0x89, 0xd0 };        /* mov %rdx,%rax */
    static const uint8_t cmp[] = { 0x48, 0x39, 0x10 };             /* cmp %rdx,(%rax) */
    static const uint8_t bt[] = { 0x0f, 0xba, 0x20, 0x05 };        /* btl $5,(%rax) */
    static const uint8_t addr32[] = { 0x67, 0x48, 0x89, 0x10 };    /* mov %rdx,(%eax) */
    static const uint8_t rep[] = { 0xf3, 0x48, 0xab };             /* rep stos */
    static const uint8_t cut[] = { 0x48, 0xc7, 0x04, 0xcf, 0, 0 }; /* immediate cut short */
    struct ptwr_insn in;
    assert_int_equal(ptwr_decode(reg_dest, sizeof(reg_dest), &in), -EINVAL);
    assert_int_equal(ptwr_decode(cmp, sizeof(cmp), &in), -EINVAL);
    assert_int_equal(ptwr_decode(bt, sizeof(bt), &in), -EINVAL);
    assert_int_equal(ptwr_decode(addr32, sizeof(addr32), &in), -EINVAL);
    assert_int_equal(ptwr_decode(rep, sizeof(rep), &in), -EINVAL);
    assert_int_equal(ptwr_decode(cut, sizeof(cut), &in), -EINVAL);
    assert_int_equal(ptwr_decode(cut, 0, &in), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xchg_reg_mem),
        cmocka_unit_test(lock_andb_sub_word),
        cmocka_unit_test(btr_immediate_and_register),
        cmocka_unit_test(mov_forms),
        cmocka_unit_test(cmpxchg_success_and_failure),
        cmocka_unit_test(alu_flags_match_the_cpu),
        cmocka_unit_test(refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
