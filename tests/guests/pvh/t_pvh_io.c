/* I/O ports a PVH domain does not own. Xen 4.17 passes a port through only
 * if the domain has it in its ioports rangeset; anything else goes to the
 * device model, and with none (no ioreq server: a PVH domain) to the null
 * handler: reads all ones, writes dropped (hvm/emulate.c hvmemul_do_io,
 * null_handler). Xen keeps from dom0 its UART, the PIT, the PICs and port
 * 0x61 (dom0_build.c dom0_setup_permissions, ns16550.c), so the same checks
 * hold for a PVH dom0 on Xen and any PVH domain on Keel. One deliberate
 * difference: Keel's PIT counter ports 0x40-0x42 read 0, not all ones, so
 * that Linux's quick_pit_calibrate (run before it reads the ACPI tables)
 * gives up at its first read instead of polling port 0x42 100,000 times
 * (arch/x86_64/hvm/hvm_io.c says more). */
#include "pvh.h"

GUEST_TEST("pvh_io");

static const struct { uint16_t port; const char *what; } not_ours[] = {
    { 0x3f8, "COM1 data" }, { 0x3f9, "COM1 IER" }, { 0x3fb, "COM1 LCR" },
    { 0x3fd, "COM1 LSR" }, { 0x3fe, "COM1 MSR" },
    { 0x40, "PIT ch0" }, { 0x43, "PIT mode" }, { 0x61, "port 0x61" },
    { 0x20, "PIC1 cmd" }, { 0x21, "PIC1 mask" }, { 0xa0, "PIC2 cmd" }, { 0xa1, "PIC2 mask" },
};

void test_main(void)
{
    bool keel = on_keel();
    for (unsigned i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++) {
        uint8_t v = inb(not_ours[i].port);
        uint8_t want = keel && not_ours[i].port >= 0x40 && not_ours[i].port <= 0x42 ? 0 : 0xff;
        if (v != want)
            fail("inb %#x (%s) = %#x, want %#x", not_ours[i].port, not_ours[i].what, v, want);
    }
    /* Wider reads: all ones too. */
    uint16_t w;
    uint32_t l;
    __asm__ __volatile__("inw %1, %0" : "=a"(w) : "Nd"((uint16_t)0x3f8));
    check_eq("inw 0x3f8", w, 0xffff);
    __asm__ __volatile__("inl %1, %0" : "=a"(l) : "Nd"((uint16_t)0x40));
    check_eq("inl 0x40", l, keel ? 0 : 0xffffffffu);
    /* String input (rep insb) into our memory: all ones. */
    uint8_t buf[8];
    memset(buf, 0x5a, sizeof(buf));
    void *d = buf;
    uint64_t n = sizeof(buf);
    __asm__ __volatile__("rep insb" : "+D"(d), "+c"(n) : "d"((uint16_t)0x3fd) : "memory");
    for (unsigned i = 0; i < sizeof(buf); i++)
        check(buf[i] == 0xff, "rep insb 0x3fd: byte %u = %#x", i, buf[i]);
    /* Writes are dropped: reprogramming the UART's divisor latch (LCR DLAB)
     * and the PIC masks must not reach the hardware: the hypervisor's own
     * console keeps printing below (the verdict line would be lost). */
    outb(0x3fb, 0x80);
    outb(0x3f8, 0x01);
    outb(0x3f9, 0x00);
    outb(0x3fb, 0x03);
    outb(0x21, 0x00);
    outb(0xa1, 0x00);
    outb(0x43, 0x34);
    check_eq("inb 0x3fb after writes", inb(0x3fb), 0xff);
    /* Ports 0x10000+: an "in" from DX = 0xffff with a dword spans past the
     * end of the port space; all ones as well. */
    __asm__ __volatile__("inl %1, %0" : "=a"(l) : "d"((uint16_t)0xffff));
    printk("inl 0xffff = %#x\n", l);
    check_eq("inl 0xffff", l, 0xffffffffu);
}
