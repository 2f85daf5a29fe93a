/* Find the \_S5 (soft-off) sleep type values in AML without an interpreter:
 * look for the byte pattern of Name(_S5, Package(){...}) and decode the
 * package's first two integer elements. Grammar (ACPI 6.5, 20.2):
 *   DefName    := NameOp(0x08) NameString DataRefObject
 *   DefPackage := PackageOp(0x12) PkgLength NumElements PackageElementList
 *   PkgLength  := lead byte; bits 7-6 = count of following bytes; one byte:
 *                 bits 5-0 are the length; more: bits 3-0 are the low nibble
 *                 and each following byte adds 8 higher bits. The length
 *                 counts from the PkgLength itself to the package end.
 * Every read is bounds-checked; a pattern that does not decode is skipped
 * and the search goes on (the bytes may have been inside a buffer). */
#include <keel/acpi.h>
#include <keel/errno.h>
#include <keel/log.h>
#include <keel/string.h>

#define AML_ZERO_OP         0x00
#define AML_ONE_OP          0x01
#define AML_NAME_OP         0x08
#define AML_BYTE_PREFIX     0x0a
#define AML_WORD_PREFIX     0x0b
#define AML_DWORD_PREFIX    0x0c
#define AML_QWORD_PREFIX    0x0e
#define AML_PACKAGE_OP      0x12
#define AML_ROOT_CHAR       0x5c
#define AML_ONES_OP         0xff

struct aml_cursor {
    const uint8_t *aml;
    size_t pos;
    size_t end;     /* exclusive */
};

static bool next_byte(struct aml_cursor *c, uint8_t *b)
{
    if (c->pos >= c->end)
        return false;
    *b = c->aml[c->pos++];
    return true;
}

/* Decode a PkgLength and narrow the cursor to the package's end. */
static bool enter_package(struct aml_cursor *c)
{
    size_t start = c->pos;
    uint8_t lead, b;
    unsigned extra;
    uint32_t len;

    if (!next_byte(c, &lead))
        return false;
    extra = lead >> 6;
    if (extra == 0) {
        len = lead & 0x3f;
    } else {
        if (lead & 0x30)    /* reserved bits in the multi-byte form */
            return false;
        len = lead & 0x0f;
        for (unsigned i = 0; i < extra; i++) {
            if (!next_byte(c, &b))
                return false;
            len |= (uint32_t)b << (4 + 8 * i);
        }
    }
    if (len < extra + 1u || len > c->end - start)
        return false;
    c->end = start + len;
    return true;
}

/* An integer element: ZeroOp, OneOp, OnesOp or a Byte/Word/DWord/QWord
 * constant; the low byte is kept (SLP_TYP values are 3 bits wide). */
static bool integer_element(struct aml_cursor *c, uint8_t *val)
{
    uint8_t op, lo;
    size_t width;

    if (!next_byte(c, &op))
        return false;
    switch (op) {
    case AML_ZERO_OP:      *val = 0;    return true;
    case AML_ONE_OP:       *val = 1;    return true;
    case AML_ONES_OP:      *val = 0xff; return true;
    case AML_BYTE_PREFIX:  width = 1;   break;
    case AML_WORD_PREFIX:  width = 2;   break;
    case AML_DWORD_PREFIX: width = 4;   break;
    case AML_QWORD_PREFIX: width = 8;   break;
    default:               return false;
    }
    if (c->end - c->pos < width || !next_byte(c, &lo))
        return false;
    c->pos += width - 1;
    *val = lo;
    return true;
}

/* Decode Package(){a, b, ...} starting at pos (just after the name). */
static bool s5_package(const uint8_t *aml, size_t len, size_t pos,
                       uint8_t *a, uint8_t *b)
{
    struct aml_cursor c = { .aml = aml, .pos = pos, .end = len };
    uint8_t op, count;

    if (!next_byte(&c, &op) || op != AML_PACKAGE_OP)
        return false;
    if (!enter_package(&c) || !next_byte(&c, &count) || count < 2)
        return false;
    return integer_element(&c, a) && integer_element(&c, b);
}

int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *typ_a,
                     uint8_t *typ_b)
{
    uint8_t a, b;

    for (size_t i = 0; i < len; i++) {
        size_t name = i + 1;

        if (aml[i] != AML_NAME_OP)
            continue;
        if (name < len && aml[name] == AML_ROOT_CHAR)
            name++;
        if (len - name < 4 || memcmp(aml + name, "_S5_", 4) != 0)
            continue;
        if (s5_package(aml, len, name + 4, &a, &b)) {
            *typ_a = a;
            *typ_b = b;
            return 0;
        }
        log_debug("acpi: AML: _S5_ at offset %zu does not decode, skipped\n", name);
    }
    return -ENOENT;
}
