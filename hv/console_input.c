/* Serial input: who owns it, dom0's input buffer, and Keel's debug keys.
 *
 * As Xen on x86, input goes to dom0 by default (the hardware domain reads it
 * with CONSOLEIO_read and is told by VIRQ_CONSOLE); the switch key, Ctrl-A
 * three times in a row ("conswitch=" as Xen's: another letter, "x" after
 * it to start with input to Keel), hands it to Keel, whose debug keys then
 * run one per key, and back. Other domains never get serial input (Xen on
 * x86 neither: their consoles are rings served by dom0).
 *
 * Boot-module domUs whose console ring Keel serves (hv/console_ring.c)
 * join the cycle: dom0, then each such domU by id, then Keel, then dom0
 * again (Xen's order for domains it serves input to); their input goes
 * into the ring.
 *
 * Runs in the UART's interrupt. Keys for a domain that does not exist (not
 * built yet, or gone) switch input to Keel and are dropped, so a key meant
 * for a guest never runs a debug key. */
#include <keel/console.h>
#include <keel/console_rx.h>
#include <keel/cmdline.h>
#include <keel/domain.h>
#include <keel/errno.h>
#include <keel/evtchn.h>
#include <keel/guest_access.h>
#include <keel/log.h>
#include <keel/printf.h>
#include <keel/spinlock.h>
#include <keel/uart.h>
#include <public/xen.h>

/* Who gets serial input: a domain id (0 = dom0), or INPUT_KEEL. */
#define INPUT_DOM0  0
#define INPUT_KEEL  (-1)

static struct console_rx_ring dom0_rx;      /* under rx_lock */
static spinlock_t rx_lock = SPINLOCK_INIT;
static spinlock_t read_lock = SPINLOCK_INIT;    /* one CONSOLEIO_read at a time */
static uint64_t dropped_reported;           /* under rx_lock */
static bool drop_warned;                    /* since the last read, under rx_lock */
static struct console_switch switch_key = { .code = CONSOLE_SWITCH_CHAR };
static int owner = INPUT_DOM0;
static bool last_key_unknown;               /* one hint per burst of unknown keys */

static char opt_conswitch[4] = "a";
param_string("conswitch", opt_conswitch);

static bool dom0_alive(void)
{
    struct domain *d = domain_get(0);
    bool alive = d && d->state != DOMAIN_SHUTDOWN && d->state != DOMAIN_CRASHED &&
                 d->state != DOMAIN_DEAD;
    domain_put(d);
    return alive;
}

static void announce_owner(const char *why)
{
    char how[48] = "";
    if (switch_key.code)
        snprintf(how, sizeof(how), " (type 'CTRL-%c' three times to switch input)",
                  switch_key.code + 'a' - 1);
    if (owner == INPUT_KEEL)
        log_info("*** Serial input to Keel%s%s\n", why, how);
    else
        log_info("*** Serial input to DOM%d%s%s\n", owner, why, how);
}

/* dom0 -> the domUs with a ring, by id -> Keel -> dom0 (or the first domU
 * when there is no dom0). */
static void switch_input(void)
{
    int next;
    if (owner == INPUT_KEEL)
        next = dom0_alive() ? INPUT_DOM0 : console_ring_next(0);
    else
        next = console_ring_next(owner);
    owner = next < 0 ? INPUT_KEEL : next;
    announce_owner(owner == INPUT_KEEL && !dom0_alive() ? " (no dom0)" : "");
    if (owner > 0)
        console_ring_show_partial((uint16_t)owner);     /* its prompt, say */
    last_key_unknown = false;
}

int console_input_owner(void)
{
    return __atomic_load_n(&owner, __ATOMIC_RELAXED);
}

static void input_to_domu(char c)
{
    if (!console_ring_input((uint16_t)owner, c)) {
        owner = INPUT_KEEL;                 /* gone: this key is dropped */
        announce_owner(" (the domain is gone)");
    }
}

static void input_to_dom0(char c)
{
    if (!dom0_alive()) {
        owner = INPUT_KEEL;                 /* this key is dropped: see above */
        announce_owner(" (no dom0)");
        return;
    }
    uint64_t f = spin_lock_irqsave(&rx_lock);
    bool warn = !console_rx_put(&dom0_rx, c) && !drop_warned;
    if (warn)
        drop_warned = true;
    spin_unlock_irqrestore(&rx_lock, f);
    if (warn)
        log_warn("console: input buffer of dom0 full (%u bytes): dropping input\n",
                 CONSOLE_RX_SIZE);
    /* Always, as Xen: a dom0 that missed one notification catches up. */
    struct domain *d = domain_get(0);
    if (d)
        evtchn_send_global_virq(d, VIRQ_CONSOLE);
    domain_put(d);
}

static void serial_rx(char c)
{
    char out[3];
    bool do_switch;
    unsigned n = console_switch_feed(&switch_key, c, out, &do_switch);
    if (do_switch)
        switch_input();
    for (unsigned i = 0; i < n; i++) {
        if (owner == INPUT_DOM0)
            input_to_dom0(out[i]);
        else if (owner == INPUT_KEEL)
            console_handle_key(out[i]);
        else
            input_to_domu(out[i]);
    }
}

/* "conswitch=<letter>[x]": Ctrl-<letter> switches; "x": start with Keel.
 * Anything else than a letter turns switching off (Xen: any other first
 * character does, too). */
static void parse_conswitch(void)
{
    char k = opt_conswitch[0];
    switch_key.code = (k >= 'a' && k <= 'z') ? (char)(k - 'a' + 1) : 0;
    if (opt_conswitch[1] == 'x')
        owner = INPUT_KEEL;
}

void console_enable_input(void)
{
    parse_conswitch();
    announce_owner("");
    uart_enable_rx_irq(serial_rx);
}

/* ---- CONSOLEIO_read ---- */

#define READ_CHUNK  128

static void report_drops(void)
{
    uint64_t f = spin_lock_irqsave(&rx_lock);
    uint64_t lost = dom0_rx.dropped - dropped_reported;
    dropped_reported = dom0_rx.dropped;
    drop_warned = false;
    spin_unlock_irqrestore(&rx_lock, f);
    if (lost)
        log_warn("console: %lu characters of input to dom0 dropped (buffer full)\n", lost);
}

long console_input_read(struct domain *d, uint64_t buf, uint64_t count)
{
    char chunk[READ_CHUNK];
    long done = 0;
    if (count > INT32_MAX)
        return -E2BIG;                      /* as Xen: keeps results apart from errors */
    if (d->id != 0)
        return 0;                           /* serial input is dom0's alone */
    report_drops();
    spin_lock(&read_lock);
    while ((uint64_t)done < count) {
        size_t want = count - (uint64_t)done < sizeof(chunk) ? count - (uint64_t)done : sizeof(chunk);
        uint64_t f = spin_lock_irqsave(&rx_lock);
        size_t n = console_rx_peek(&dom0_rx, chunk, want);
        spin_unlock_irqrestore(&rx_lock, f);
        if (!n)
            break;
        if (copy_to_guest(buf + (uint64_t)done, chunk, n)) {
            done = -EFAULT;                 /* as Xen: earlier chunks stay read */
            break;
        }
        f = spin_lock_irqsave(&rx_lock);
        console_rx_consume(&dom0_rx, n);
        spin_unlock_irqrestore(&rx_lock, f);
        done += (long)n;
    }
    spin_unlock(&read_lock);
    return done;
}

/* ---- debug keys ---- */

extern const struct debug_key __start_keel_debug_keys[], __stop_keel_debug_keys[];

static void debug_key_help(char key)
{
    (void)key;
    log_info("debug keys:\n");
    for (const struct debug_key *k = __start_keel_debug_keys; k < __stop_keel_debug_keys; k++)
        log_info("  '%c'  %s\n", k->key, k->help);
    log_info("  CTRL-%c x3  switch serial input (dom0 / Keel)\n",
             switch_key.code ? switch_key.code + 'a' - 1 : '-');
}
debug_key('h', "show this help", debug_key_help);

static void unknown_key(char c)
{
    unsigned char u = (unsigned char)c;
    if (last_key_unknown)
        return;                             /* a burst of junk: one hint */
    last_key_unknown = true;
    if (u >= 0x20 && u < 0x7f)
        log_info("console: no debug key '%c' (0x%02x); 'h' lists them\n", c, u);
    else
        log_info("console: no debug key 0x%02x; 'h' lists them\n", u);
}

void console_handle_key(char c)
{
    if (c == '\r' || c == '\n')
        return;
    for (const struct debug_key *k = __start_keel_debug_keys; k < __stop_keel_debug_keys; k++) {
        if (k->key == c) {
            last_key_unknown = false;
            k->fn(c);
            return;
        }
    }
    unknown_key(c);
}
