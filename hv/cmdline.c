/* Command-line option parser (pure; host-tested). Tokens are handled as
 * (pointer, length) slices of the original string, so no token is ever cut
 * to fit a buffer; only a value is copied out (unquoted) to be converted,
 * and a value too long for that copy is reported as a bad value. */
#include <keel/cmdline.h>
#include <keel/log.h>
#include <keel/string.h>

#define VALUE_MAX   256         /* longest value a non-string option takes */
#define SHOW_MAX    64          /* longest slice quoted in a message */

/* printf arguments that show a slice, shortened with "..." if long. */
#define SHOW(s, len)    (int)MIN((len), (size_t)SHOW_MAX), (s), ((len) > SHOW_MAX ? "..." : "")

struct option {
    const char *key;
    size_t key_len;
    const char *value;          /* NULL for a plain `name` */
    size_t value_len;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char fold(char c)
{
    if (c == '_')
        return '-';
    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 'a');
    return c;
}

static bool name_matches(const char *name, const char *key, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!name[i] || fold(name[i]) != fold(key[i]))
            return false;
    return name[len] == '\0';
}

static const struct param *find_param(const struct param *params, size_t nr,
                                      const char *key, size_t len)
{
    for (size_t i = 0; i < nr; i++)
        if (params[i].name && name_matches(params[i].name, key, len))
            return &params[i];
    return NULL;
}

/* Unquoted length of a value slice. */
static size_t unquoted_len(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += s[i] != '"';
    return n;
}

/* Copies a value without its quotes into buf[size]; false if it does not fit. */
static bool unquote(const char *s, size_t len, char *buf, size_t size)
{
    if (unquoted_len(s, len) >= size)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '"')
            buf[n++] = s[i];
    buf[n] = '\0';
    return true;
}

bool cmdline_parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = { "1", "yes", "true", "on", "enable" };
    static const char *const no[] = { "0", "no", "false", "off", "disable" };

    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (name_matches(yes[i], v, strlen(v))) {
            *out = true;
            return true;
        }
        if (name_matches(no[i], v, strlen(v))) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool parse_number(const char *v, uint64_t *out)
{
    const char *end;
    return keel_strtou64(v, &end, 0, out) == 0 && *end == '\0';
}

/* "123", "4096K", "512M", "1G", "2t": bytes, suffix case-insensitive. */
static bool parse_size(const char *v, uint64_t *out)
{
    const char *end;
    uint64_t n;
    unsigned shift = 0;

    if (keel_strtou64(v, &end, 0, &n))
        return false;
    switch (fold(*end)) {
    case '\0': break;
    case 'k': shift = 10; break;
    case 'm': shift = 20; break;
    case 'g': shift = 30; break;
    case 't': shift = 40; break;
    default: return false;
    }
    if (*end && end[1])
        return false;
    if (shift && n > (UINT64_MAX >> shift))
        return false;               /* overflow */
    *out = n << shift;
    return true;
}

static uint64_t width_max(size_t size)
{
    return size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

static bool store_uint(void *var, size_t size, uint64_t v)
{
    switch (size) {
    case 1: *(uint8_t *)var = (uint8_t)v; return true;
    case 2: *(uint16_t *)var = (uint16_t)v; return true;
    case 4: *(uint32_t *)var = (uint32_t)v; return true;
    case 8: *(uint64_t *)var = v; return true;
    default: return false;
    }
}

static bool apply_number(const struct param *p, const char *v)
{
    uint64_t n;
    bool ok = p->type == PARAM_SIZE ? parse_size(v, &n) : parse_number(v, &n);

    if (!ok || n < p->min || n > MIN(p->max, width_max(p->var_size)))
        return false;
    return store_uint(p->var, p->var_size, n);
}

/* Sets p from the option; false (variable untouched) on a bad value. */
static bool apply(const struct param *p, const struct option *o, bool negate)
{
    char buf[VALUE_MAX];

    if (o->value && !unquote(o->value, o->value_len, buf, sizeof(buf)) &&
        p->type != PARAM_STRING)
        return false;               /* too long to be valid */
    if (p->type == PARAM_BOOL) {
        bool b = true;
        if (o->value && !cmdline_parse_bool(buf, &b))
            return false;
        return store_uint(p->var, p->var_size, negate ? !b : b);
    }
    if (negate)
        return false;               /* `no-` only makes sense for booleans */
    switch (p->type) {
    case PARAM_UINT:
    case PARAM_SIZE:
        return o->value && apply_number(p, buf);
    case PARAM_STRING:
        return o->value && unquote(o->value, o->value_len, p->var, p->var_size);
    case PARAM_CUSTOM:
        return p->custom && p->custom(o->value ? buf : "") >= 0;
    default:
        return false;
    }
}

static int handle_option(const struct option *o, const struct param *params, size_t nr)
{
    bool negate = false;
    const struct param *p = find_param(params, nr, o->key, o->key_len);

    if (!p && o->key_len > 3 && !strncmp(o->key, "no-", 3)) {
        p = find_param(params, nr, o->key + 3, o->key_len - 3);
        negate = p != NULL;
    }
    if (!p) {
        log_warn("cmdline: unknown option '%.*s%s' ignored\n", SHOW(o->key, o->key_len));
        return 1;
    }
    if (!apply(p, o, negate)) {
        const char *v = o->value ? o->value : "";
        size_t vlen = o->value ? o->value_len : 0;
        log_warn("cmdline: bad value '%.*s%s' for option '%s' (kept default)\n",
                 SHOW(v, vlen), p->name);
        return 1;
    }
    return 0;
}

/* Splits a token into key and value at its first '='. */
static void split_option(const char *tok, size_t len, struct option *o)
{
    size_t eq = 0;

    while (eq < len && tok[eq] != '=')
        eq++;
    o->key = tok;
    o->key_len = eq;
    o->value = eq < len ? tok + eq + 1 : NULL;
    o->value_len = eq < len ? len - eq - 1 : 0;
}

int cmdline_parse(const char *cmdline, const struct param *params, size_t nr_params)
{
    int problems = 0;
    const char *s = cmdline;

    if (!s)
        return 0;
    for (;;) {
        while (is_space(*s))
            s++;
        if (!*s)
            break;
        const char *tok = s;
        bool quoted = false;
        for (; *s && (quoted || !is_space(*s)); s++)
            if (*s == '"')
                quoted = !quoted;
        size_t len = (size_t)(s - tok);
        if (quoted) {
            log_warn("cmdline: unterminated quote in '%.*s%s': option ignored\n", SHOW(tok, len));
            problems++;
            continue;
        }
        struct option o;
        split_option(tok, len, &o);
        problems += handle_option(&o, params, nr_params);
    }
    return problems;
}
