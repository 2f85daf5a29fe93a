/* Hypervisor command-line options, Xen style: `name`, `name=value` or
 * `no-name`, separated by spaces. Each option is declared next to the
 * variable it sets with one of the param_*() macros below; the macro puts a
 * struct param into the linker section "keel_params", which the hypervisor
 * walks from __start_keel_params to __stop_keel_params. */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include <keel/types.h>
#include <keel/compiler.h>

enum param_type {
    PARAM_BOOL,     /* 1/0 yes/no true/false on/off enable/disable; `no-x` */
    PARAM_UINT,     /* decimal or 0x hex, checked against [min, max] */
    PARAM_SIZE,     /* bytes with an optional K/M/G/T suffix */
    PARAM_STRING,   /* copied into a char array; too long is an error */
    PARAM_CUSTOM,   /* custom(value) < 0 means bad value */
};

struct param {
    const char *name;
    enum param_type type;
    void *var;
    size_t var_size;
    uint64_t min, max;
    int (*custom)(const char *value);
};

/* Parses `cmdline` against params[0..nr_params). Option names match with
 * '-' and '_' treated alike; later occurrences override earlier ones; a
 * value may be quoted ("a b") to hold spaces. Every problem is one
 * log_warn line and leaves the variable as it was. Returns the number of
 * problems. */
int cmdline_parse(const char *cmdline, const struct param *params, size_t nr_params);

/* A boolean value as PARAM_BOOL takes it (1/0, yes/no, true/false, on/off,
 * enable/disable); false if it is none of them. For param_custom users. */
bool cmdline_parse_bool(const char *v, bool *out);

/* ---- Registration ---- */

#define __PARAM_PASTE2(a, b)    a##b
#define __PARAM_PASTE(a, b)     __PARAM_PASTE2(a, b)
#define __PARAM_ID              __PARAM_PASTE(__keel_param_, __COUNTER__)

/* The explicit alignment stops the compiler from padding entries apart
 * (it may over-align large objects), so the section is a plain array. */
#define __define_param(id, name_, type_, var_, size_, min_, max_, fn_)       \
    static const struct param id                                            \
        __used __section("keel_params") __aligned(8) = {                    \
        .name = (name_), .type = (type_), .var = (var_), .var_size = (size_), \
        .min = (min_), .max = (max_), .custom = (fn_),                      \
    }

#define __param_is_unsigned(v)  ((__typeof__(v))-1 > (__typeof__(v))0)

#define param_bool(name, var)                                               \
    _Static_assert(__builtin_types_compatible_p(__typeof__(var), bool),     \
                   "param_bool needs a bool");                              \
    __define_param(__PARAM_ID, name, PARAM_BOOL, &(var), sizeof(var), 0, 1, NULL)

#define param_uint(name, var, min, max)                                     \
    _Static_assert(__param_is_unsigned(var), "param_uint needs an unsigned integer"); \
    __define_param(__PARAM_ID, name, PARAM_UINT, &(var), sizeof(var), min, max, NULL)

#define param_size(name, var)                                               \
    _Static_assert(__param_is_unsigned(var), "param_size needs an unsigned integer"); \
    __define_param(__PARAM_ID, name, PARAM_SIZE, &(var), sizeof(var), 0, UINT64_MAX, NULL)

#define param_string(name, array)                                           \
    _Static_assert(!__builtin_types_compatible_p(__typeof__(array),         \
                                                 __typeof__(&(array)[0])),  \
                   "param_string needs a char array, not a pointer");       \
    __define_param(__PARAM_ID, name, PARAM_STRING, (array), sizeof(array), 0, 0, NULL)

#define param_custom(name, fn)                                              \
    __define_param(__PARAM_ID, name, PARAM_CUSTOM, NULL, 0, 0, 0, (fn))

/* Everything registered with the macros above (linker-provided bounds). */
extern const struct param __start_keel_params[], __stop_keel_params[];

static inline int cmdline_parse_registered(const char *cmdline)
{
    return cmdline_parse(cmdline, __start_keel_params,
                         (size_t)(__stop_keel_params - __start_keel_params));
}

#endif
