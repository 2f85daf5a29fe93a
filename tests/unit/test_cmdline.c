/* Unit tests for hv/cmdline.c and arch/x86_64/uart_cfg.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>
#include <keel/cmdline.h>
#include <keel/errno.h>
#include <keel/string.h>
#include <keel/uart_cfg.h>
#include "host_log.h"

/* ---- options declared the way hypervisor code does: into the section ---- */

static bool opt_noreboot;
static uint8_t opt_u8 = 7;
static uint16_t opt_u16;
static uint32_t opt_loglvl_num = 3;
static uint64_t opt_mem;
static uint32_t opt_mem32;
static char opt_console[8] = "com1";
static char custom_seen[64];
static int custom_calls;

static int parse_custom(const char *v)
{
    custom_calls++;
    if (!strcmp(v, "fail"))
        return -EINVAL;
    keel_strlcpy(custom_seen, v, sizeof(custom_seen));
    return 0;
}

param_bool("noreboot", opt_noreboot);
param_uint("u8", opt_u8, 1, 200);
param_uint("u16", opt_u16, 0, UINT64_MAX);
param_uint("loglvl", opt_loglvl_num, 0, 4);
param_size("dom0_mem", opt_mem);
param_size("mem32", opt_mem32);
param_string("console", opt_console);
param_custom("sched", parse_custom);

static void reset(void)
{
    opt_noreboot = false;
    opt_u8 = 7;
    opt_u16 = 0;
    opt_loglvl_num = 3;
    opt_mem = 0;
    opt_mem32 = 0;
    keel_strlcpy(opt_console, "com1", sizeof(opt_console));
    custom_seen[0] = '\0';
    custom_calls = 0;
    host_log_clear();
}

static int parse(const char *s)
{
    return cmdline_parse_registered(s);
}

static void macros_emit_into_section(void **state)
{
    (void)state;
    assert_int_equal(__stop_keel_params - __start_keel_params, 8);
    bool found = false;
    for (const struct param *p = __start_keel_params; p < __stop_keel_params; p++) {
        if (!strcmp(p->name, "u16")) {
            found = true;
            assert_int_equal(p->type, PARAM_UINT);
            assert_ptr_equal(p->var, &opt_u16);
            assert_int_equal(p->var_size, 2);
        }
    }
    assert_true(found);
}

static void good_options(void **state)
{
    (void)state;
    reset();
    assert_int_equal(parse("  noreboot u8=200\tu16=0xffff loglvl=4 dom0_mem=512M "
                           "mem32=4096k console=none sched=credit2  "), 0);
    assert_true(opt_noreboot);
    assert_int_equal(opt_u8, 200);
    assert_int_equal(opt_u16, 0xffff);
    assert_int_equal(opt_loglvl_num, 4);
    assert_true(opt_mem == 512ull << 20);
    assert_int_equal(opt_mem32, 4096 << 10);
    assert_string_equal(opt_console, "none");
    assert_string_equal(custom_seen, "credit2");
    assert_string_equal(host_log_text(), "");
}

static void bool_forms(void **state)
{
    static const char *const yes[] = { "1", "yes", "true", "on", "enable", "YES" };
    static const char *const no[] = { "0", "no", "false", "off", "disable" };
    char buf[64];
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        reset();
        snprintf(buf, sizeof(buf), "noreboot=%s", yes[i]);
        assert_int_equal(parse(buf), 0);
        assert_true(opt_noreboot);
    }
    for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
        reset();
        opt_noreboot = true;
        snprintf(buf, sizeof(buf), "noreboot=%s", no[i]);
        assert_int_equal(parse(buf), 0);
        assert_false(opt_noreboot);
    }
    reset();
    assert_int_equal(parse("noreboot no-noreboot"), 0);
    assert_false(opt_noreboot);
    assert_int_equal(parse("no-noreboot=0"), 0);    /* double negative, as Xen */
    assert_true(opt_noreboot);
    assert_int_equal(parse("noreboot=maybe"), 1);
    assert_true(host_log_contains("cmdline: bad value 'maybe' for option 'noreboot' (kept default)"));
    assert_true(opt_noreboot);
}

static void sizes(void **state)
{
    (void)state;
    reset();
    assert_int_equal(parse("dom0_mem=1G"), 0);
    assert_true(opt_mem == 1ull << 30);
    assert_int_equal(parse("dom0_mem=123"), 0);
    assert_true(opt_mem == 123);
    assert_int_equal(parse("dom0_mem=2t"), 0);
    assert_true(opt_mem == 2ull << 40);
    assert_int_equal(parse("dom0_mem=0x10m"), 0);
    assert_true(opt_mem == 16ull << 20);
    /* overflow, bad suffixes, a value too big for a 32-bit variable */
    assert_int_equal(parse("dom0_mem=16777216T dom0_mem=5X dom0_mem=5MB dom0_mem=M "
                           "mem32=4G"), 5);
    assert_true(opt_mem == 16ull << 20);
    assert_int_equal(opt_mem32, 0);
    assert_true(host_log_contains("bad value '16777216T' for option 'dom0_mem'"));
    assert_true(host_log_contains("bad value '4G' for option 'mem32'"));
}

static void bad_numbers_keep_old_value(void **state)
{
    (void)state;
    reset();
    assert_int_equal(parse("loglvl=xyz loglvl=5 loglvl= loglvl u8=0 u8=256 u8=-1 "
                           "u16=65536 u16=99999999999999999999999 u8=12abc"), 10);
    assert_int_equal(opt_loglvl_num, 3);
    assert_int_equal(opt_u8, 7);
    assert_int_equal(opt_u16, 0);
    assert_true(host_log_contains("cmdline: bad value 'xyz' for option 'loglvl' (kept default)\n"));
    assert_true(host_log_contains("cmdline: bad value '' for option 'loglvl' (kept default)\n"));
    assert_true(host_log_contains("bad value '256' for option 'u8'"));
    assert_true(host_log_contains("bad value '99999999999999999999999' for option 'u16'"));
}

static void unknown_options_warn_once_each(void **state)
{
    (void)state;
    reset();
    assert_int_equal(parse("foo bar=1 no-foo no- = u8=9"), 5);
    assert_int_equal(opt_u8, 9);
    assert_string_equal(host_log_text(),
                        "cmdline: unknown option 'foo' ignored\n"
                        "cmdline: unknown option 'bar' ignored\n"
                        "cmdline: unknown option 'no-foo' ignored\n"
                        "cmdline: unknown option 'no-' ignored\n"
                        "cmdline: unknown option '' ignored\n");
}

static void later_occurrence_wins_and_names_fold(void **state)
{
    (void)state;
    reset();
    assert_int_equal(parse("u8=1 u8=2 dom0-mem=1M DOM0_MEM=2M u8=3"), 0);
    assert_int_equal(opt_u8, 3);
    assert_true(opt_mem == 2ull << 20);
}

static void strings_and_quotes(void **state)
{
    (void)state;
    reset();
    assert_int_equal(parse("console=vga"), 0);
    assert_string_equal(opt_console, "vga");
    assert_int_equal(parse("console=\"a b\""), 0);
    assert_string_equal(opt_console, "a b");
    assert_int_equal(parse("console=toolongvalue"), 1);    /* 8-byte array */
    assert_string_equal(opt_console, "a b");
    assert_true(host_log_contains("bad value 'toolongvalue' for option 'console'"));
    assert_int_equal(parse("console="), 0);
    assert_string_equal(opt_console, "");
    assert_int_equal(parse("console"), 1);                  /* no value */
    assert_int_equal(parse("no-console"), 1);               /* not a bool */
    host_log_clear();
    assert_int_equal(parse("u8=5 console=\"unterminated u8=6"), 1);
    assert_int_equal(opt_u8, 5);
    assert_true(host_log_contains("cmdline: unterminated quote in 'console=\"unterminated u8=6'"));
}

static void custom_values(void **state)
{
    (void)state;
    reset();
    assert_int_equal(parse("sched"), 0);
    assert_int_equal(custom_calls, 1);
    assert_string_equal(custom_seen, "");
    assert_int_equal(parse("sched=fail"), 1);
    assert_true(host_log_contains("cmdline: bad value 'fail' for option 'sched' (kept default)"));
    assert_int_equal(parse("sched=a=b"), 0);               /* split at the first '=' */
    assert_string_equal(custom_seen, "a=b");
}

static void long_tokens_are_reported_not_cut(void **state)
{
    static char line[4096];
    (void)state;
    reset();
    /* an unknown 1000-character option, then a 300-character value for an
     * option whose value buffer is smaller */
    memset(line, 'z', 1000);
    memcpy(line + 1000, " sched=", 7);
    memset(line + 1007, 'v', 300);
    strcpy(line + 1307, " u8=11");
    assert_int_equal(parse(line), 2);
    assert_int_equal(custom_calls, 0);
    assert_int_equal(opt_u8, 11);
    assert_true(host_log_contains("cmdline: unknown option 'zzzzzzzzzz"));
    assert_true(host_log_contains("z...' ignored"));
    assert_true(host_log_contains("v...' for option 'sched'"));
    /* a long option name that starts like a real one is still unknown */
    reset();
    memcpy(line, "u8", 2);
    memset(line + 2, '8', 500);
    line[502] = '\0';
    assert_int_equal(parse(line), 1);
    assert_int_equal(opt_u8, 7);
}

static void explicit_array_and_empty_input(void **state)
{
    uint32_t a = 1;
    const struct param params[] = {
        { .name = "a", .type = PARAM_UINT, .var = &a, .var_size = sizeof(a), .min = 0, .max = 10 },
    };
    (void)state;
    reset();
    assert_int_equal(cmdline_parse(NULL, params, 1), 0);
    assert_int_equal(cmdline_parse("", params, 1), 0);
    assert_int_equal(cmdline_parse("   ", params, 1), 0);
    assert_int_equal(cmdline_parse("a=10 u8=3", params, 1), 1);   /* u8 not in this array */
    assert_int_equal(a, 10);
    assert_int_equal(opt_u8, 7);
}

/* ---- uart_cfg ---- */

static void uart_defaults(void **state)
{
    struct uart_cfg c;
    (void)state;
    uart_cfg_default(&c, 1);
    assert_int_equal(c.io_base, 0x3f8);
    assert_int_equal(c.irq, 4);
    assert_int_equal(c.baud, 115200);
    assert_true(c.data_bits == 8 && c.parity == 'n' && c.stop_bits == 1 && !c.baud_auto);
    uart_cfg_default(&c, 2);
    assert_int_equal(c.io_base, 0x2f8);
    assert_int_equal(c.irq, 3);
}

static void uart_good_strings(void **state)
{
    struct uart_cfg c;
    (void)state;
    uart_cfg_default(&c, 1);
    assert_int_equal(uart_cfg_parse("115200,8n1", &c), 0);
    assert_int_equal(c.baud, 115200);
    assert_int_equal(uart_cfg_parse("9600,7e2,0x2f8,3", &c), 0);
    assert_true(c.baud == 9600 && c.data_bits == 7 && c.parity == 'e' && c.stop_bits == 2);
    assert_true(c.io_base == 0x2f8 && c.irq == 3);
    assert_int_equal(uart_cfg_parse("auto", &c), 0);
    assert_true(c.baud_auto);
    assert_int_equal(uart_cfg_parse("auto/7372800,5O1", &c), 0);
    assert_true(c.baud_auto && c.clock_hz == 7372800 && c.data_bits == 5 && c.parity == 'o');
    assert_int_equal(uart_cfg_parse("57600", &c), 0);
    assert_true(!c.baud_auto && c.baud == 57600 && c.io_base == 0x2f8);
    assert_int_equal(uart_cfg_parse("50,6m1,1016,0", &c), 0);
    assert_true(c.baud == 50 && c.parity == 'm' && c.io_base == 1016 && c.irq == 0);
    assert_int_equal(uart_cfg_parse(",,0x3e8", &c), 0);    /* empty fields keep */
    assert_true(c.baud == 50 && c.io_base == 0x3e8);
    assert_int_equal(uart_cfg_parse("4000000,8s2,0xfff8,255", &c), 0);
}

static void uart_bad_strings_leave_cfg_unchanged(void **state)
{
    static const char *const bad[] = {
        "", "fast", "49", "4000001", "115200,9n1", "115200,4n1", "115200,8x1",
        "115200,8n3", "115200,8n", "115200,8n11", "115200,8n1,0xfff9",
        "115200,8n1,0", "115200,8n1,0x3f8,256", "115200,8n1,0x3f8,4,extra",
        "115200,8n1,pci", "auto/", "auto/0", "/1843200", "115200x", "0x",
        "99999999999999999999999", "115200,8n1,0x3f8,4x",
    };
    struct uart_cfg c, orig;
    (void)state;
    memset(&orig, 0, sizeof(orig));
    uart_cfg_default(&orig, 2);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        memcpy(&c, &orig, sizeof(c));
        if (uart_cfg_parse(bad[i], &c) != -EINVAL)
            fail_msg("accepted '%s'", bad[i]);
        assert_memory_equal(&c, &orig, sizeof(c));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(macros_emit_into_section),
        cmocka_unit_test(good_options),
        cmocka_unit_test(bool_forms),
        cmocka_unit_test(sizes),
        cmocka_unit_test(bad_numbers_keep_old_value),
        cmocka_unit_test(unknown_options_warn_once_each),
        cmocka_unit_test(later_occurrence_wins_and_names_fold),
        cmocka_unit_test(strings_and_quotes),
        cmocka_unit_test(custom_values),
        cmocka_unit_test(long_tokens_are_reported_not_cut),
        cmocka_unit_test(explicit_array_and_empty_input),
        cmocka_unit_test(uart_defaults),
        cmocka_unit_test(uart_good_strings),
        cmocka_unit_test(uart_bad_strings_leave_cfg_unchanged),
    };
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
