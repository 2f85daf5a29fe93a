/* Unit tests for hv/console_rx.c: the input buffer (full buffer drops and
 * counts, wrap-around, peek/consume) and the Ctrl-A x3 switch detector
 * (Xen's rule: fewer than three are passed on as input). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <keel/console_rx.h>

static void ring_fills_then_drops_and_counts(void **state)
{
    static struct console_rx_ring r;
    (void)state;
    for (unsigned i = 0; i < CONSOLE_RX_SIZE; i++)
        assert_true(console_rx_put(&r, (char)i));
    assert_int_equal(console_rx_used(&r), CONSOLE_RX_SIZE);
    for (unsigned i = 0; i < 5000; i++)
        assert_false(console_rx_put(&r, 'x'));
    assert_int_equal(r.dropped, 5000);
    assert_int_equal(console_rx_used(&r), CONSOLE_RX_SIZE);
    char out[CONSOLE_RX_SIZE + 10];
    assert_int_equal(console_rx_peek(&r, out, sizeof(out)), CONSOLE_RX_SIZE);
    for (unsigned i = 0; i < CONSOLE_RX_SIZE; i++)
        assert_int_equal((unsigned char)out[i], i & 0xff);
}

static void ring_wraps_and_keeps_binary_bytes(void **state)
{
    static struct console_rx_ring r;
    char out[300];
    (void)state;
    r.prod = r.cons = UINT32_MAX - 100;     /* counters wrap past 2^32 too */
    for (unsigned round = 0; round < 20; round++) {
        for (unsigned i = 0; i < 256; i++)
            assert_true(console_rx_put(&r, (char)i));
        assert_int_equal(console_rx_peek(&r, out, 100), 100);
        assert_int_equal(console_rx_used(&r), 256);     /* peek takes nothing */
        assert_int_equal(console_rx_peek(&r, out, sizeof(out)), 256);
        for (unsigned i = 0; i < 256; i++)
            assert_int_equal((unsigned char)out[i], i);
        console_rx_consume(&r, 256);
        assert_int_equal(console_rx_used(&r), 0);
    }
    assert_int_equal(r.dropped, 0);
    console_rx_consume(&r, 10);             /* more than waiting: nothing */
    assert_int_equal(console_rx_used(&r), 0);
    assert_int_equal(console_rx_peek(&r, out, sizeof(out)), 0);
}

/* Feeds a string; returns what is passed on, counts switches. */
static size_t feed(struct console_switch *s, const char *in, size_t len, char *out, unsigned *switches)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        bool sw;
        n += console_switch_feed(s, in[i], out + n, &sw);
        *switches += sw;
    }
    return n;
}

static void switch_needs_three_in_a_row(void **state)
{
    struct console_switch s = { .code = CONSOLE_SWITCH_CHAR };
    char out[64];
    unsigned sw = 0;
    (void)state;
    assert_int_equal(feed(&s, "\x01\x01\x01", 3, out, &sw), 0);
    assert_int_equal(sw, 1);
    sw = 0;
    size_t n = feed(&s, "a\x01" "b\x01\x01" "c", 6, out, &sw);
    assert_int_equal(sw, 0);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "a\x01" "b\x01\x01" "c", 6);
    /* Seven in a row: two switches, the seventh held back until 'z'. */
    n = feed(&s, "\x01\x01\x01\x01\x01\x01\x01z", 8, out, &sw);
    assert_int_equal(sw, 2);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "\x01z", 2);
    /* A switch in the middle of a word. */
    sw = 0;
    n = feed(&s, "ab\x01\x01\x01" "cd", 7, out, &sw);
    assert_int_equal(sw, 1);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "abcd", 4);
}

static void switch_disabled_passes_everything(void **state)
{
    struct console_switch s = { .code = 0 };
    char out[16];
    unsigned sw = 0;
    (void)state;
    assert_int_equal(feed(&s, "\x01\x01\x01\0", 4, out, &sw), 4);
    assert_int_equal(sw, 0);
    assert_memory_equal(out, "\x01\x01\x01\0", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_fills_then_drops_and_counts),
        cmocka_unit_test(ring_wraps_and_keeps_binary_bytes),
        cmocka_unit_test(switch_needs_three_in_a_row),
        cmocka_unit_test(switch_disabled_passes_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
