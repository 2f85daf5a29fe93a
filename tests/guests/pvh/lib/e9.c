/* Console output before the hypercall instruction is known: port 0xe9
 * (Xen's HVM debug port, hvm.c hvm_print_line). Afterwards printk
 * (common/console.c) writes through console_io(CONSOLEIO_write). */
#include "pvh.h"

void e9_write(const char *s)
{
    while (*s)
        outb(0xe9, (uint8_t)*s++);
}
