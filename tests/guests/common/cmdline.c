/* Options from the kernel's command line: "key=value" and plain words,
 * ' ' or '+' apart (the runners write '+' where a word list must stay one
 * argument). */
#include "family.h"

static bool word_start(const char *c, const char *p)
{
    return p == c || p[-1] == ' ' || p[-1] == '+';
}

const char *cmdline_option(const char *key)
{
    const char *c = guest_cmdline();
    size_t n = strlen(key);
    for (const char *p = c; *p; p++)
        if (word_start(c, p) && !strncmp(p, key, n) && p[n] == '=')
            return p + n + 1;
    return NULL;
}

uint64_t opt_uint(const char *key, uint64_t def)
{
    const char *p = cmdline_option(key);
    if (!p)
        return def;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    return v;
}

bool opt_word(const char *word)
{
    const char *c = guest_cmdline();
    size_t n = strlen(word);
    for (const char *p = c; *p; p++)
        if (word_start(c, p) && !strncmp(p, word, n) && (p[n] == 0 || p[n] == ' ' || p[n] == '+'))
            return true;
    return false;
}
