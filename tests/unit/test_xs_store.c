/* Unit tests for hv/xs_store.c: the minimal xenstore Keel serves to
 * boot-module domUs (replies, errors, watches, the access rule). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <cmocka.h>
#include <keel/xs_store.h>
#include <keel/errno.h>

struct msg { uint32_t type, req_id; size_t len; char body[XS_PAYLOAD_MAX]; };
static struct msg msgs[16];
static unsigned nmsgs;

static bool capture(void *ctx, const struct xsd_sockmsg *h, const void *body)
{
    (void)ctx;
    assert_true(nmsgs < 16);
    struct msg *m = &msgs[nmsgs++];
    m->type = h->type, m->req_id = h->req_id, m->len = h->len;
    memcpy(m->body, body, h->len);
    return true;
}

static struct xs_store *store;

static int setup(void **state)
{
    (void)state;
    store = malloc(sizeof(*store));
    xs_store_init(store, 3, capture, NULL);
    nmsgs = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(store);
    return 0;
}

/* Sends one request (body given with its length) and returns the count of
 * messages it produced (msgs[0] is the reply). */
static unsigned req(uint32_t type, const char *body, size_t len)
{
    struct xsd_sockmsg h = { type, 77, 0, (uint32_t)len };
    nmsgs = 0;
    xs_store_request(store, &h, body);
    assert_true(nmsgs >= 1);
    assert_int_equal(msgs[0].req_id, 77);
    return nmsgs;
}

#define REQ(type, lit) req(type, lit, sizeof(lit) - 1)

static void expect_error(const char *name)
{
    assert_int_equal(msgs[0].type, XS_ERROR);
    assert_string_equal(msgs[0].body, name);
    assert_int_equal(msgs[0].len, strlen(name) + 1);
}

static void expect_ok(uint32_t type)
{
    assert_int_equal(msgs[0].type, type);
    assert_int_equal(msgs[0].len, 3);
    assert_memory_equal(msgs[0].body, "OK", 3);
}

static void read_relative_and_absolute(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(xs_store_write(store, "memory/target", "262144"), 0);
    assert_int_equal(xs_store_read(store, "/local/domain/3/memory/target", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "262144");
    REQ(XS_READ, "memory/target\0");
    assert_int_equal(msgs[0].type, XS_READ);
    assert_int_equal(msgs[0].len, 6);                   /* the value, no NUL */
    assert_memory_equal(msgs[0].body, "262144", 6);
    REQ(XS_READ, "/local/domain/3/memory/target\0");
    assert_memory_equal(msgs[0].body, "262144", 6);
    REQ(XS_READ, "memory/nothing\0");
    expect_error("ENOENT");
    REQ(XS_READ, "/local/domain/0/name\0");
    expect_error("EACCES");
    REQ(XS_READ, "bad path\0");
    expect_error("EINVAL");
    REQ(XS_READ, "trailing/\0");
    expect_error("EINVAL");
    REQ(XS_READ, "no-nul");
    expect_error("EINVAL");
}

static void write_directory_rm(void **state)
{
    (void)state;
    REQ(XS_WRITE, "control/feature-poweroff\0" "1");
    expect_ok(XS_WRITE);
    REQ(XS_WRITE, "control/feature-reboot\0" "1");
    REQ(XS_DIRECTORY, "control\0");
    assert_int_equal(msgs[0].type, XS_DIRECTORY);
    assert_int_equal(msgs[0].len, sizeof("feature-poweroff\0feature-reboot"));
    assert_memory_equal(msgs[0].body, "feature-poweroff\0feature-reboot", msgs[0].len);
    REQ(XS_DIRECTORY, "\0");                            /* empty path */
    expect_error("EINVAL");
    REQ(XS_DIRECTORY, "/local/domain/3\0");
    assert_memory_equal(msgs[0].body, "control", 8);
    REQ(XS_MKDIR, "device\0");
    expect_ok(XS_MKDIR);
    REQ(XS_DIRECTORY, "device\0");
    assert_int_equal(msgs[0].len, 0);                   /* exists, empty */
    REQ(XS_RM, "control\0");
    expect_ok(XS_RM);
    REQ(XS_READ, "control/feature-reboot\0");
    expect_error("ENOENT");
    REQ(XS_RM, "control\0");
    expect_error("ENOENT");
    REQ(XS_RM, "/local/domain/3\0");
    expect_error("EACCES");
    REQ(XS_WRITE, "/local/domain/4/x\0" "1");
    expect_error("EACCES");
}

static void watches(void **state)
{
    (void)state;
    assert_int_equal(REQ(XS_WATCH, "control/shutdown\0tok1\0"), 2);
    expect_ok(XS_WATCH);
    assert_int_equal(msgs[1].type, XS_WATCH_EVENT);     /* fired at once */
    assert_int_equal(msgs[1].req_id, 0);
    assert_memory_equal(msgs[1].body, "control/shutdown\0tok1", msgs[1].len);
    REQ(XS_WATCH, "control/shutdown\0tok1\0");
    expect_error("EEXIST");
    /* Keel asks the guest to power off: the watch fires. */
    nmsgs = 0;
    assert_int_equal(xs_store_write(store, "control/shutdown", "poweroff"), 0);
    assert_int_equal(nmsgs, 1);
    assert_memory_equal(msgs[0].body, "control/shutdown\0tok1", msgs[0].len);
    /* An absolute watch on the parent reports absolute paths. */
    REQ(XS_WATCH, "/local/domain/3/control\0tok2\0");
    assert_int_equal(REQ(XS_WRITE, "control/shutdown\0"), 3);
    assert_memory_equal(msgs[1].body, "control/shutdown\0tok1", msgs[1].len);
    assert_memory_equal(msgs[2].body, "/local/domain/3/control/shutdown\0tok2", msgs[2].len);
    /* Removing a parent reports each watch's own path. */
    assert_int_equal(REQ(XS_RM, "control\0"), 3);
    assert_memory_equal(msgs[1].body, "control/shutdown\0tok1", msgs[1].len);
    assert_memory_equal(msgs[2].body, "/local/domain/3/control\0tok2", msgs[2].len);
    assert_int_equal(REQ(XS_UNWATCH, "control/shutdown\0tok1\0"), 1);
    expect_ok(XS_UNWATCH);
    REQ(XS_UNWATCH, "control/shutdown\0tok1\0");
    expect_error("ENOENT");
    REQ(XS_WATCH, "control/shutdown\0");                /* no token */
    expect_error("EINVAL");
    REQ(XS_RESET_WATCHES, "");
    assert_int_equal(REQ(XS_WRITE, "control/x\0" "1"), 1);
}

static void transactions_and_the_rest(void **state)
{
    (void)state;
    REQ(XS_TRANSACTION_START, "\0");
    assert_int_equal(msgs[0].type, XS_TRANSACTION_START);
    assert_string_equal(msgs[0].body, "1");
    REQ(XS_TRANSACTION_START, "\0");
    assert_string_equal(msgs[0].body, "2");
    REQ(XS_TRANSACTION_END, "T\0");
    expect_ok(XS_TRANSACTION_END);
    REQ(XS_GET_DOMAIN_PATH, "7\0");
    assert_string_equal(msgs[0].body, "/local/domain/7");
    REQ(XS_GET_DOMAIN_PATH, "x\0");
    expect_error("EINVAL");
    REQ(XS_INTRODUCE, "1\0" "2\0" "3\0");
    expect_error("ENOSYS");
    REQ(XS_MKDIR, "data\0");
    REQ(XS_GET_PERMS, "data\0");
    assert_memory_equal(msgs[0].body, "n0\0r3", msgs[0].len);
}

static void store_full(void **state)
{
    (void)state;
    char path[32];
    int rc = 0;
    for (unsigned i = 0; i < XS_NODES + 1 && !rc; i++) {
        snprintf(path, sizeof(path), "data/k%u", i);
        rc = xs_store_write(store, path, "v");
    }
    assert_int_equal(rc, -ENOSPC);
    char big[XS_VALUE_MAX + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_int_equal(xs_store_write(store, "name", big), -E2BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(read_relative_and_absolute, setup, teardown),
        cmocka_unit_test_setup_teardown(write_directory_rm, setup, teardown),
        cmocka_unit_test_setup_teardown(watches, setup, teardown),
        cmocka_unit_test_setup_teardown(transactions_and_the_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(store_full, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
