/* The FEATURES note: '|'-separated XENFEAT names, '!' marking a required
 * one. Ref: shared/ref/xen-pv-abi.md §1.3 — Xen knows only the names below;
 * an unknown name is ignored unless it is required, which fails the load. */
#include <keel/elfnote.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

static const struct {
    const char *name;
    unsigned bit;
} feature_names[] = {
    { "writable_page_tables",       XENFEAT_writable_page_tables },
    { "writable_descriptor_tables", XENFEAT_writable_descriptor_tables },
    { "auto_translated_physmap",    XENFEAT_auto_translated_physmap },
    { "supervisor_mode_kernel",     XENFEAT_supervisor_mode_kernel },
    { "pae_pgdir_above_4gb",        XENFEAT_pae_pgdir_above_4gb },
    { "hvm_callback_vector",        XENFEAT_hvm_callback_vector },
    { "dom0",                       XENFEAT_dom0 },
};

static int feature_bit(const char *s, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(feature_names); i++)
        if (strlen(feature_names[i].name) == len && !memcmp(feature_names[i].name, s, len))
            return (int)feature_names[i].bit;
    return -1;
}

int xen_features_parse(const char *s, size_t len, uint32_t *required, uint32_t *supported)
{
    size_t pos = 0;

    while (pos < len) {
        size_t end = pos;
        while (end < len && s[end] != '|')
            end++;
        const char *tok = s + pos;
        size_t tlen = end - pos;
        bool req = tlen && tok[0] == '!';
        if (req) {
            tok++;
            tlen--;
        }
        pos = end + 1;
        if (!tlen)
            continue;
        int bit = feature_bit(tok, tlen);
        if (bit < 0 && req) {
            log_err("xen notes: FEATURES requires unknown feature '%.*s'\n", (int)tlen, tok);
            return -EINVAL;
        }
        if (bit < 0)
            continue;
        /* A required feature is also a supported one. */
        supported[bit / 32] |= 1u << (bit % 32);
        if (req)
            required[bit / 32] |= 1u << (bit % 32);
    }
    return 0;
}
