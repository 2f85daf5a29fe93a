/* console_io (#18): CONSOLEIO_write 0, CONSOLEIO_read 1 (ref 5.12).
 * Output is gathered per domain into lines, each printed with the
 * domain's id as a prefix so guests' lines never mix with each other's or
 * Keel's. CONSOLEIO_read hands dom0 its buffered serial input
 * (hv/console_input.c); other domains read nothing. */
#include <keel/hypercall.h>
#include <keel/console.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/guest_access.h>
#include <keel/log.h>
#include <keel/vcpu.h>
#include <public/xen.h>

#define CONSOLEIO_write     0
#define CONSOLEIO_read      1
#define CONSOLE_CHUNK       128

static void console_flush_line(struct domain *d)
{
    log_info("(d%u) %.*s\n", d->id, (int)d->console_len, d->console_line);
    d->console_len = 0;
}

void domain_console_put(struct domain *d, char c)
{
    if (c == '\n') {
        console_flush_line(d);
        return;
    }
    if (c == '\r' || c == '\0')
        return;
    if ((unsigned char)c < 0x20 && c != '\t')
        c = '?';                        /* no terminal control from guests */
    d->console_line[d->console_len++] = c;
    if (d->console_len == sizeof(d->console_line))
        console_flush_line(d);
}

#define CONSOLE_PER_ENTRY   (16 * 1024)     /* then the call continues */

static long guest_console_write(struct vcpu *v, struct cpu_regs *regs, uint64_t count, uint64_t buf)
{
    char chunk[CONSOLE_CHUNK];
    if (!guest_range_ok(buf, count))
        return -EFAULT;
    uint64_t done;
    if (v->in_multicall && count > 64 * CONSOLE_PER_ENTRY)
        return -E2BIG;                  /* cannot continue inside a multicall */
    uint64_t limit = v->in_multicall ? count : CONSOLE_PER_ENTRY;
    for (done = 0; done < count && done < limit; done += sizeof(chunk)) {
        size_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
        if (copy_from_guest(chunk, buf + done, n))
            return -EFAULT;
        for (size_t i = 0; i < n; i++)
            domain_console_put(v->d, chunk[i]);
    }
    if (done < count) {                 /* long write: re-issue for the rest */
        regs->rip -= 2;
        regs->rax = __HYPERVISOR_console_io;
        regs->rsi = count - done;
        regs->rdx = buf + done;
        return HYPERCALL_KEEP_REGS;
    }
    return 0;
}

DECLARE_HYPERCALL(console_io)
{
    (void)a4, (void)a5;
    switch ((unsigned)a1) {
    case CONSOLEIO_write:
        return guest_console_write(v, regs, (uint32_t)a2, a3);
    case CONSOLEIO_read:
        return console_input_read(v->d, a3, (uint32_t)a2);
    default:
        return hypercall_unimplemented(v, 18, "console_io", a1);
    }
}
