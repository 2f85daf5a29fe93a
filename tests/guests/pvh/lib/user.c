/* Guest user mode for the tests that must run something in ring 3 (a
 * hypercall from CPL 3 is refused: Xen 4.17 hvm_hypercall gives -EPERM):
 * a 64-bit TSS whose RSP0 takes interrupts and faults from ring 3, and
 * run_user(fn), which runs fn in ring 3 on its own stack until fn executes
 * USER_RETURN. The identity map is user-accessible (head.S). */
#include "pvh.h"

extern uint64_t gdt[];
extern char user_exit_stub[];
void user_enter(void (*fn)(void), void *stack);
void idt_set_user_gate(unsigned vector, uint64_t addr);

static struct {
    uint32_t _r0;
    uint64_t rsp0, rsp1, rsp2;
    uint64_t _r1, ist[7], _r2;
    uint16_t _r3, iomap;
} __attribute__((packed, aligned(16))) tss;
static uint8_t ring0_stack[16384] __attribute__((aligned(16)));
static uint8_t ring3_stack[16384] __attribute__((aligned(16)));

void run_user(void (*fn)(void))
{
    static bool ready;
    if (!ready) {
        uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
        tss.rsp0 = (uint64_t)ring0_stack + sizeof(ring0_stack);
        tss.iomap = sizeof(tss);
        gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89UL << 40) |
                 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
        gdt[6] = base >> 32;
        __asm__ __volatile__("ltr %w0" :: "r"(0x28));
        idt_set_user_gate(USER_RETURN_VECTOR, (uint64_t)user_exit_stub);
        ready = true;
    }
    user_enter(fn, ring3_stack + sizeof(ring3_stack));
}
