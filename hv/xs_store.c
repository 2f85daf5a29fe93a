/* A minimal xenstore for one domain (include/keel/xs_store.h). Pure code.
 * Protocol facts: Xen's docs/misc/xenstore.txt and public/io/xs_wire.h
 * (message types, error strings, "OK" replies, WATCH_EVENT bodies, the
 * first event of a new watch, the epath of a removed parent). */
#include <keel/xs_store.h>
#include <keel/errno.h>
#include <keel/printf.h>
#include <keel/string.h>

/* ---- paths ---- */

static const char *find_nul(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!p[i])
            return p + i;
    return NULL;
}

static bool path_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '/' || c == '_' || c == '@';
}

/* The absolute form of a guest path, checked: 0, -EINVAL (characters,
 * empty components, a trailing slash) or -E2BIG. */
static int resolve(const struct xs_store *s, const char *in, char out[XS_PATH_MAX])
{
    size_t n = strlen(in);
    if (n == 0 || n >= XS_PATH_MAX)
        return n ? -E2BIG : -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!path_char_ok(in[i]) || (in[i] == '/' && (in[i + 1] == '/' || in[i + 1] == '\0')))
            return -EINVAL;
    if (in[0] == '/') {
        memcpy(out, in, n + 1);
        return 0;
    }
    int m = keel_snprintf(out, XS_PATH_MAX, "%s/%s", s->home, in);
    return m < 0 || m >= XS_PATH_MAX ? -E2BIG : 0;
}

/* a is b, or a lies below b. */
static bool at_or_below(const char *a, const char *b)
{
    size_t n = strlen(b);
    return !strncmp(a, b, n) && (a[n] == '\0' || a[n] == '/');
}

static bool allowed(const struct xs_store *s, const char *abs)
{
    return at_or_below(abs, s->home);
}

static struct xs_node *find(struct xs_store *s, const char *abs)
{
    for (unsigned i = 0; i < XS_NODES; i++)
        if (s->nodes[i].used && !strcmp(s->nodes[i].path, abs))
            return &s->nodes[i];
    return NULL;
}

static struct xs_node *create_one(struct xs_store *s, const char *abs)
{
    struct xs_node *n = find(s, abs);
    if (n)
        return n;
    for (unsigned i = 0; i < XS_NODES; i++) {
        if (!s->nodes[i].used) {
            n = &s->nodes[i];
            *n = (struct xs_node){ .used = true };
            keel_strlcpy(n->path, abs, sizeof(n->path));
            return n;
        }
    }
    return NULL;
}

/* The node and its missing ancestors down from the home (as xenstored
 * creates a written node's parents). */
static struct xs_node *create(struct xs_store *s, const char *abs)
{
    char p[XS_PATH_MAX];
    size_t home = strlen(s->home);
    keel_strlcpy(p, abs, sizeof(p));
    for (size_t i = home; p[i]; i++) {
        if (p[i] != '/')
            continue;
        p[i] = '\0';
        if (!create_one(s, p))
            return NULL;
        p[i] = '/';
    }
    return create_one(s, abs);
}

/* ---- messages ---- */

static void emit(struct xs_store *s, uint32_t type, const struct xsd_sockmsg *req, const void *body,
                 size_t len)
{
    struct xsd_sockmsg h = { type, req ? req->req_id : 0, req ? req->tx_id : 0, (uint32_t)len };
    s->emit(s->emit_ctx, &h, body);
}

static void reply_error(struct xs_store *s, const struct xsd_sockmsg *req, int err)
{
    const char *name;
    switch (-err) {
    case EACCES:    name = "EACCES"; break;
    case EEXIST:    name = "EEXIST"; break;
    case ENOENT:    name = "ENOENT"; break;
    case ENOSPC:    name = "ENOSPC"; break;
    case ENOSYS:    name = "ENOSYS"; break;
    case E2BIG:     name = "E2BIG"; break;
    default:        name = "EINVAL"; break;
    }
    emit(s, XS_ERROR, req, name, strlen(name) + 1);
}

static void reply_ok(struct xs_store *s, const struct xsd_sockmsg *req)
{
    emit(s, req->type, req, "OK", 3);
}

/* WATCH_EVENT: "<epath>\0<token>\0". */
static void watch_event(struct xs_store *s, const struct xs_watch *w, const char *epath)
{
    char body[XS_PATH_MAX + XS_TOKEN_MAX];
    size_t a = strlen(epath) + 1, b = strlen(w->token) + 1;
    memcpy(body, epath, a);
    memcpy(body + a, w->token, b);
    emit(s, XS_WATCH_EVENT, NULL, body, a + b);
}

/* abs was created, changed or removed. A watch fires for it or anything
 * below it, reported in the watch's own form (relative paths stay
 * relative); a removed parent of the watched path reports that path. */
static void fire(struct xs_store *s, const char *abs)
{
    for (unsigned i = 0; i < XS_WATCHES; i++) {
        const struct xs_watch *w = &s->watches[i];
        char wabs[XS_PATH_MAX];
        if (!w->used || w->path[0] == '@' || resolve(s, w->path, wabs))
            continue;
        if (at_or_below(abs, wabs)) {
            const char *epath = abs;
            if (w->path[0] != '/')
                epath = abs + strlen(s->home) + (abs[strlen(s->home)] == '/');
            watch_event(s, w, epath);
        } else if (at_or_below(wabs, abs)) {
            watch_event(s, w, w->path);
        }
    }
}

static int do_write(struct xs_store *s, const char *abs, const char *val, size_t len)
{
    if (!allowed(s, abs))
        return -EACCES;
    if (len > XS_VALUE_MAX)
        return -E2BIG;
    struct xs_node *n = create(s, abs);
    if (!n)
        return -ENOSPC;
    memcpy(n->value, val, len);
    n->vlen = (uint16_t)len;
    return 0;
}

static int do_rm(struct xs_store *s, const char *abs)
{
    if (!allowed(s, abs) || !strcmp(abs, s->home))
        return -EACCES;
    if (!find(s, abs))
        return -ENOENT;
    for (unsigned i = 0; i < XS_NODES; i++)
        if (s->nodes[i].used && at_or_below(s->nodes[i].path, abs))
            s->nodes[i].used = false;
    return 0;
}

/* The names of abs's children, each NUL-terminated, into out. */
static int do_directory(struct xs_store *s, const char *abs, char *out, size_t *len)
{
    size_t n = strlen(abs);
    *len = 0;
    if (!allowed(s, abs))
        return -EACCES;
    if (!find(s, abs))
        return -ENOENT;
    for (unsigned i = 0; i < XS_NODES; i++) {
        const struct xs_node *c = &s->nodes[i];
        if (!c->used || strncmp(c->path, abs, n) || c->path[n] != '/' || strchr(c->path + n + 1, '/'))
            continue;
        size_t l = strlen(c->path + n + 1) + 1;
        if (*len + l > XS_PAYLOAD_MAX)
            return -E2BIG;
        memcpy(out + *len, c->path + n + 1, l);
        *len += l;
    }
    return 0;
}

static int do_watch(struct xs_store *s, const char *path, const char *token, bool add)
{
    char abs[XS_PATH_MAX];
    if (path[0] != '@') {
        int rc = resolve(s, path, abs);
        if (rc)
            return rc;
    }
    if (strlen(path) >= XS_PATH_MAX || strlen(token) >= XS_TOKEN_MAX)
        return -E2BIG;
    struct xs_watch *free_slot = NULL;
    for (unsigned i = 0; i < XS_WATCHES; i++) {
        struct xs_watch *w = &s->watches[i];
        if (!w->used) {
            free_slot = free_slot ? free_slot : w;
            continue;
        }
        if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
            if (add)
                return -EEXIST;
            w->used = false;
            return 0;
        }
    }
    if (!add)
        return -ENOENT;
    if (!free_slot)
        return -ENOSPC;
    free_slot->used = true;
    keel_strlcpy(free_slot->path, path, sizeof(free_slot->path));
    keel_strlcpy(free_slot->token, token, sizeof(free_slot->token));
    return 0;
}

void xs_store_init(struct xs_store *s, uint16_t domid, xs_emit_fn emit_fn, void *ctx)
{
    memset(s, 0, sizeof(*s));
    s->domid = domid;
    s->emit = emit_fn;
    s->emit_ctx = ctx;
    s->next_tx = 1;
    keel_snprintf(s->home, sizeof(s->home), "/local/domain/%u", domid);
    create_one(s, s->home);
}

int xs_store_write(struct xs_store *s, const char *path, const char *value)
{
    char abs[XS_PATH_MAX];
    int rc = resolve(s, path, abs);
    if (!rc)
        rc = do_write(s, abs, value, strlen(value));
    if (!rc)
        fire(s, abs);
    return rc;
}

int xs_store_read(struct xs_store *s, const char *path, char *buf, size_t size)
{
    char abs[XS_PATH_MAX];
    int rc = resolve(s, path, abs);
    if (rc)
        return rc;
    const struct xs_node *n = find(s, abs);
    if (!n)
        return -ENOENT;
    if (n->vlen >= size)
        return -E2BIG;
    memcpy(buf, n->value, n->vlen);
    buf[n->vlen] = '\0';
    return 0;
}

void xs_store_request(struct xs_store *s, const struct xsd_sockmsg *h, const char *body)
{
    /* The first string (most requests' only argument) must end inside
     * the body; a second one follows it (WRITE's value, WATCH's token). */
    const char *end = find_nul(body, h->len);
    const char *arg2 = end ? end + 1 : NULL;
    size_t arg2_len = end ? h->len - (size_t)(arg2 - body) : 0;
    char abs[XS_PATH_MAX];
    char *out = s->scratch;
    size_t len;
    int rc;

    switch (h->type) {
    case XS_READ: case XS_WRITE: case XS_MKDIR: case XS_RM: case XS_DIRECTORY:
    case XS_GET_PERMS: case XS_SET_PERMS:
        if (!end) {
            reply_error(s, h, -EINVAL);
            return;
        }
        rc = resolve(s, body, abs);
        if (rc) {
            reply_error(s, h, rc);
            return;
        }
        break;
    default:
        break;
    }

    switch (h->type) {
    case XS_READ: {
        const struct xs_node *n = allowed(s, abs) ? find(s, abs) : NULL;
        if (!n)
            reply_error(s, h, allowed(s, abs) ? -ENOENT : -EACCES);
        else
            emit(s, XS_READ, h, n->value, n->vlen);
        return;
    }
    case XS_WRITE:
        rc = do_write(s, abs, arg2, arg2_len);
        break;
    case XS_MKDIR:
        rc = find(s, abs) ? (allowed(s, abs) ? 0 : -EACCES) : do_write(s, abs, "", 0);
        break;
    case XS_RM:
        rc = do_rm(s, abs);
        break;
    case XS_DIRECTORY:
        rc = do_directory(s, abs, out, &len);
        if (!rc) {
            emit(s, XS_DIRECTORY, h, out, len);
            return;
        }
        break;
    case XS_GET_PERMS:
        if (!allowed(s, abs) || !find(s, abs)) {
            reply_error(s, h, allowed(s, abs) ? -ENOENT : -EACCES);
            return;
        }
        /* Owned by dom0, readable by the domain: what a toolstack sets. */
        len = (size_t)keel_snprintf(out, XS_PAYLOAD_MAX, "n0%cr%u", '\0', s->domid) + 1;
        emit(s, XS_GET_PERMS, h, out, len);
        return;
    case XS_SET_PERMS:
        rc = !allowed(s, abs) ? -EACCES : find(s, abs) ? 0 : -ENOENT;
        if (!rc)
            reply_ok(s, h);
        else
            reply_error(s, h, rc);
        return;
    case XS_WATCH: case XS_UNWATCH:
        if (!end || !find_nul(arg2, arg2_len)) {
            reply_error(s, h, -EINVAL);
            return;
        }
        rc = do_watch(s, body, arg2, h->type == XS_WATCH);
        if (rc) {
            reply_error(s, h, rc);
            return;
        }
        reply_ok(s, h);
        if (h->type == XS_WATCH) {      /* fired once at once, with its own path */
            for (unsigned i = 0; i < XS_WATCHES; i++)
                if (s->watches[i].used && !strcmp(s->watches[i].path, body) &&
                    !strcmp(s->watches[i].token, arg2))
                    watch_event(s, &s->watches[i], body);
        }
        return;
    case XS_TRANSACTION_START:
        /* One client, applied as it goes: every transaction commits. */
        len = (size_t)keel_snprintf(out, XS_PAYLOAD_MAX, "%u", s->next_tx++) + 1;
        emit(s, XS_TRANSACTION_START, h, out, len);
        return;
    case XS_TRANSACTION_END:
    case XS_RESET_WATCHES:
        if (h->type == XS_RESET_WATCHES)
            for (unsigned i = 0; i < XS_WATCHES; i++)
                s->watches[i].used = false;
        reply_ok(s, h);
        return;
    case XS_GET_DOMAIN_PATH: {
        uint64_t id;
        const char *e;
        if (!end || keel_strtou64(body, &e, 10, &id) || *e || id > 0xffff) {
            reply_error(s, h, -EINVAL);
            return;
        }
        len = (size_t)keel_snprintf(out, XS_PAYLOAD_MAX, "/local/domain/%u", (unsigned)id) + 1;
        emit(s, XS_GET_DOMAIN_PATH, h, out, len);
        return;
    }
    default:
        reply_error(s, h, -ENOSYS);
        return;
    }
    if (rc) {
        reply_error(s, h, rc);
        return;
    }
    reply_ok(s, h);
    fire(s, abs);
}
