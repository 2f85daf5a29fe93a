/* The hypervisor console: serial output, the in-memory log ring (read by
 * dom0 later, as `xl dmesg`), log levels, and console input. */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include <keel/types.h>
#include <keel/log.h>

#define LOG_RING_SIZE   (128 * 1024)

void console_early_init(void);
/* Apply console=, com1= and loglvl= after the command line is parsed. */
void console_init(void);
/* Write raw text under the console lock (a whole line at a time). */
void console_write(const char *s, size_t n);
/* Panic path: stop honouring a lock that another (dead) CPU may hold. */
void console_force_unlock(void);
void console_flush(void);
/* Copy log ring bytes starting at absolute offset *pos into buf; returns the
 * count and advances *pos (bytes overwritten before *pos are skipped). */
size_t log_ring_read(uint64_t *pos, char *buf, size_t len);
uint64_t log_ring_head(void);
/* Serial input (hv/console_input.c): take the receive interrupt from now
 * on. Input goes to dom0 (or to Keel with "conswitch=ax"); Ctrl-A three
 * times switches between dom0 and Keel's debug keys. */
void console_enable_input(void);
struct domain;
/* CONSOLEIO_read for d: copies at most count bytes of buffered input to
 * guest address buf; returns the count, 0 for any domain but dom0,
 * -EFAULT (bytes copied in earlier chunks are taken), -E2BIG (count >
 * INT32_MAX, as Xen). */
long console_input_read(struct domain *d, uint64_t buf, uint64_t count);
/* The PV console ring of a boot-module domU, served by Keel
 * (hv/console_ring.c). attach: at build, a new port served by Keel for the
 * ring frame (returns it, for start_info console.domU.evtchn, or -errno);
 * detach: at teardown. kick: the guest notified the port. input: one
 * character of serial input for domid's ring (false: no such ring).
 * next: the lowest domain id above `after` with a ring, or -1. */
int console_ring_attach(struct domain *d, mfn_t ring_mfn);
void console_ring_detach(struct domain *d);
void console_ring_kick(struct domain *d);
/* One character of a domain's console output (lines prefixed "(dN) "). */
void domain_console_put(struct domain *d, char c);
bool console_ring_input(uint16_t domid, char c);
int console_ring_next(int after);
/* Prints domid's partial output line now (input was switched to it). */
void console_ring_show_partial(uint16_t domid);
/* Who serial input goes to now: a domain id, or -1 for Keel. */
int console_input_owner(void);
/* Debug keys: a key handler table, printed with 'h'; run in the UART
 * interrupt while serial input goes to Keel. */
struct debug_key {
    char key;
    const char *help;
    void (*fn)(char key);
};
#define debug_key(k, h, f) \
    static const struct debug_key __debug_key_##f __attribute__((used, section("keel_debug_keys"), aligned(8))) = { k, h, f }
/* Runs the debug key c (an unknown key prints a hint). */
void console_handle_key(char c);

#endif
