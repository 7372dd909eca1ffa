/* manifest.xml: what a checkpoint holds, and the keyed MAC over it.
 *
 * The MAC covers a canonical text built from the parsed fields (not the XML
 * bytes), so whitespace or attribute order cannot matter and every field a
 * restore relies on is covered. */
#include "checkpoint/ckpt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ckpt_manifest_free(struct ckpt_manifest *m)
{
    free(m->jobid);
    free(m->name);
    free(m->host);
    free(m->criu_version);
    free(m->kernel);
    for (size_t i = 0; i < m->nfiles; i++) {
        free(m->files[i].path);
        free(m->files[i].ext);
    }
    free(m->files);
    for (size_t i = 0; i < m->nimages; i++)
        free(m->images[i].name);
    free(m->images);
    for (size_t i = 0; i < m->nsaved; i++) {
        free(m->saved[i].path);
        free(m->saved[i].image);
        free(m->saved[i].ext);
    }
    free(m->saved);
    for (size_t i = 0; i < m->nlayers; i++) {
        free(m->layers[i].name);
        free(m->layers[i].parent);
    }
    free(m->layers);
    free(m->parent);
    memset(m, 0, sizeof(*m));
}

/* ---- canonical text ---- */
struct sbuf {
    char *s;
    size_t n, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *p, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap : 256);
        while (cap < b->n + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = true;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Length-prefixed, so no value can forge a field boundary. */
static void sb_field(struct sbuf *b, const char *key, const char *val)
{
    val = val ? val : "";
    sb_printf(b, "%s=%zu:", key, strlen(val));
    sb_add(b, val, strlen(val));
    sb_add(b, "\n", 1);
}

char *ckpt_manifest_canonical(const struct ckpt_manifest *m, size_t *len)
{
    struct sbuf b = { 0 };
    char hex[65];

    sb_printf(&b, "ckmig-checkpoint-manifest\nversion=%d\n", m->version);
    sb_field(&b, "jobid", m->jobid);
    /* Only when known, so manifests written before names were recorded
     * still verify; removing it from the XML changes the text all the same. */
    if (m->name)
        sb_field(&b, "name", m->name);
    sb_printf(&b, "uid=%u\ngid=%u\n", (unsigned)m->uid, (unsigned)m->gid);
    sb_field(&b, "host", m->host);
    sb_printf(&b, "time=%lld\n", m->time);
    /* Only post-copy checkpoints say so: older MACs stay valid. */
    if (m->postcopy)
        sb_printf(&b, "postcopy=1\n");
    sb_field(&b, "criu", m->criu_version);
    sb_field(&b, "kernel", m->kernel);
    sb_printf(&b, "requester=%d\nfiles=%zu\n", (int)m->requester, m->nfiles);
    for (size_t i = 0; i < m->nfiles; i++) {
        sb_printf(&b, "size=%lld\n", m->files[i].size);
        if (m->files[i].has_id)
            sb_printf(&b, "inode=%llu:%llu:%u\n", m->files[i].dev, m->files[i].ino,
                      (unsigned)m->files[i].owner);
        /* only files dumped as external have one: older MACs stay valid */
        if (m->files[i].ext)
            sb_field(&b, "ext", m->files[i].ext);
        sb_field(&b, m->files[i].dir ? "dir" : "file", m->files[i].path);
    }
    ckpt_hash_hex(m->hash_nonce, 16, hex);
    sb_printf(&b, "hash=%s\nnonce=%s\nimages=%zu\n", ckpt_hash_alg_name(m->hash_alg), hex,
              m->nimages);
    for (size_t i = 0; i < m->nimages; i++) {
        ckpt_hash_hex(m->images[i].digest, 32, hex);
        sb_printf(&b, "size=%lld\ndigest=%s\n", m->images[i].size, hex);
        sb_field(&b, "image", m->images[i].name);
    }
    /* Only checkpoints with saved files say so: older MACs stay valid. */
    if (m->nsaved)
        sb_printf(&b, "saved=%zu\n", m->nsaved);
    for (size_t i = 0; i < m->nsaved; i++) {
        sb_printf(&b, "mode=%u\nkind=%u\n", m->saved[i].mode, m->saved[i].kind);
        sb_field(&b, "path", m->saved[i].path);
        sb_field(&b, "image", m->saved[i].image);
        sb_field(&b, "ext", m->saved[i].ext);
    }
    /* Only pre-copied checkpoints have layers: older MACs stay valid. */
    if (m->nlayers) {
        sb_printf(&b, "layers=%zu\n", m->nlayers);
        sb_field(&b, "parent", m->parent);
    }
    for (size_t i = 0; i < m->nlayers; i++) {
        sb_field(&b, "layer", m->layers[i].name);
        sb_field(&b, "parent", m->layers[i].parent);
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    *len = b.n;
    return b.s;
}

static int compute_mac(const struct ckpt_manifest *m, const unsigned char key[CKPT_KEY_LEN],
                       unsigned char out[32])
{
    size_t len = 0;
    unsigned int ol = 32;
    char *c = ckpt_manifest_canonical(m, &len);
    if (!c)
        return -1;
    unsigned char *r = HMAC(EVP_sha256(), key, CKPT_KEY_LEN, (unsigned char *)c, len, out, &ol);
    free(c);
    return r ? 0 : -1;
}

void ckpt_manifest_sign(struct ckpt_manifest *m, const unsigned char key[CKPT_KEY_LEN])
{
    if (compute_mac(m, key, m->mac) < 0)
        memset(m->mac, 0, sizeof(m->mac));
}

bool ckpt_manifest_mac_ok(const struct ckpt_manifest *m, const unsigned char key[CKPT_KEY_LEN])
{
    unsigned char want[32];
    if (compute_mac(m, key, want) < 0)
        return false;
    return CRYPTO_memcmp(want, m->mac, 32) == 0;
}

/* ---- XML ---- */
static void set_num(xmlNodePtr n, const char *name, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

char *ckpt_manifest_to_xml(const struct ckpt_manifest *m, size_t *len)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "checkpoint");
    xmlNodePtr n, list;
    xmlChar *mem = NULL;
    int size = 0;
    char hex[65];
    char *out = NULL;

    xmlDocSetRootElement(doc, root);
    set_num(root, "version", m->version);
    n = xmlNewChild(root, NULL, BAD_CAST "job", NULL);
    if (m->jobid)
        xmlNewProp(n, BAD_CAST "id", BAD_CAST m->jobid);
    if (m->name)
        xmlNewProp(n, BAD_CAST "name", BAD_CAST m->name);
    set_num(n, "uid", m->uid);
    set_num(n, "gid", m->gid);
    if (m->requester)
        set_num(n, "requester", m->requester);
    n = xmlNewChild(root, NULL, BAD_CAST "source", NULL);
    xmlNewProp(n, BAD_CAST "host", BAD_CAST(m->host ? m->host : ""));
    set_num(n, "time", m->time);
    if (m->postcopy)
        set_num(n, "postcopy", 1);
    xmlNewProp(n, BAD_CAST "criu", BAD_CAST(m->criu_version ? m->criu_version : ""));
    xmlNewProp(n, BAD_CAST "kernel", BAD_CAST(m->kernel ? m->kernel : ""));
    list = xmlNewChild(root, NULL, BAD_CAST "files", NULL);
    for (size_t i = 0; i < m->nfiles; i++) {
        n = xmlNewTextChild(list, NULL, BAD_CAST "file", BAD_CAST m->files[i].path);
        set_num(n, "size", m->files[i].size);
        if (m->files[i].dir)
            xmlNewProp(n, BAD_CAST "kind", BAD_CAST "dir");
        if (m->files[i].has_id) {
            set_num(n, "dev", (long long)m->files[i].dev);
            set_num(n, "ino", (long long)m->files[i].ino);
            set_num(n, "uid", (long long)m->files[i].owner);
        }
        if (m->files[i].ext)
            xmlNewProp(n, BAD_CAST "ext", BAD_CAST m->files[i].ext);
    }
    list = xmlNewChild(root, NULL, BAD_CAST "images", NULL);
    xmlNewProp(list, BAD_CAST "hash", BAD_CAST ckpt_hash_alg_name(m->hash_alg));
    ckpt_hash_hex(m->hash_nonce, 16, hex);
    xmlNewProp(list, BAD_CAST "nonce", BAD_CAST hex);
    for (size_t i = 0; i < m->nimages; i++) {
        n = xmlNewChild(list, NULL, BAD_CAST "image", NULL);
        xmlNewProp(n, BAD_CAST "name", BAD_CAST m->images[i].name);
        set_num(n, "size", m->images[i].size);
        ckpt_hash_hex(m->images[i].digest, 32, hex);
        xmlNewProp(n, BAD_CAST "digest", BAD_CAST hex);
    }
    if (m->nsaved) {
        list = xmlNewChild(root, NULL, BAD_CAST "saved", NULL);
        for (size_t i = 0; i < m->nsaved; i++) {
            n = xmlNewTextChild(list, NULL, BAD_CAST "file", BAD_CAST m->saved[i].path);
            xmlNewProp(n, BAD_CAST "image", BAD_CAST m->saved[i].image);
            xmlNewProp(n, BAD_CAST "ext", BAD_CAST m->saved[i].ext);
            set_num(n, "mode", m->saved[i].mode);
            set_num(n, "kind", m->saved[i].kind);
        }
    }
    if (m->nlayers) {
        list = xmlNewChild(root, NULL, BAD_CAST "layers", NULL);
        xmlNewProp(list, BAD_CAST "parent", BAD_CAST(m->parent ? m->parent : ""));
        for (size_t i = 0; i < m->nlayers; i++) {
            n = xmlNewChild(list, NULL, BAD_CAST "layer", NULL);
            xmlNewProp(n, BAD_CAST "name", BAD_CAST m->layers[i].name);
            if (m->layers[i].parent)
                xmlNewProp(n, BAD_CAST "parent", BAD_CAST m->layers[i].parent);
        }
    }
    ckpt_hash_hex(m->mac, 32, hex);
    n = xmlNewTextChild(root, NULL, BAD_CAST "mac", BAD_CAST hex);
    xmlNewProp(n, BAD_CAST "alg", BAD_CAST "HMAC-SHA256");
    xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
    if (mem && size > 0 && (out = malloc((size_t)size + 1))) {
        memcpy(out, mem, (size_t)size);
        out[size] = '\0';
        *len = (size_t)size;
    }
    xmlFree(mem);
    xmlFreeDoc(doc);
    return out;
}

static char *prop(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    char *s = v ? strdup((char *)v) : NULL;
    xmlFree(v);
    return s;
}

static int prop_num(xmlNodePtr n, const char *name, long long *out, bool required)
{
    char *v = prop(n, name), *end = NULL;
    int rc = -1;
    if (!v) {
        if (!required) {
            *out = 0;
            rc = 0;
        }
        goto out;
    }
    errno = 0;
    *out = strtoll(v, &end, 10);
    if (!errno && end != v && !*end && *out >= 0)
        rc = 0;
out:
    free(v);
    return rc;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST name))
            return c;
    return NULL;
}

static bool plain_name(const char *s)
{
    return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/* CRIU's name for an external file: file[MNT:INO], both in hex. */
static bool ext_key_ok(const char *s)
{
    size_t l = s ? strlen(s) : 0;
    if (l < 9 || strncmp(s, "file[", 5) || s[l - 1] != ']')
        return false;
    size_t a = strspn(s + 5, "0123456789abcdef");
    return a && s[5 + a] == ':' && strspn(s + 6 + a, "0123456789abcdef") == l - 7 - a &&
           l - 7 - a > 0;
}

static int count_children(xmlNodePtr list, const char *name)
{
    int n = 0;
    for (xmlNodePtr c = list ? list->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST name))
            n++;
    return n;
}

static const struct ckpt_layer *find_layer(const struct ckpt_manifest *m, const char *name,
                                           size_t upto)
{
    for (size_t i = 0; i < upto && name; i++)
        if (!strcmp(m->layers[i].name, name))
            return &m->layers[i];
    return NULL;
}

/* An image's name: plain, or "LAYER/NAME" of a listed layer. */
static bool image_name_ok(const struct ckpt_manifest *m, const char *s)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash)
        return plain_name(s);
    char layer[16];
    size_t ll = (size_t)(slash - s);
    if (ll >= sizeof(layer))
        return false;
    memcpy(layer, s, ll);
    layer[ll] = '\0';
    return find_layer(m, layer, m->nlayers) && plain_name(slash + 1);
}

/* <layers parent="preN"><layer name="pre1"/><layer name="pre2" parent="pre1"/>:
 * names as cr_checkpoint makes them, each parent a layer listed before
 * it (so the links form one chain inside the checkpoint, no cycle). */
static int parse_layers(xmlNodePtr layers, struct ckpt_manifest *m)
{
    if (!layers)
        return 0;
    m->layers = calloc((size_t)count_children(layers, "layer") + 1, sizeof(*m->layers));
    if (!m->layers)
        return -1;
    for (xmlNodePtr c = layers->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || xmlStrcmp(c->name, BAD_CAST "layer"))
            continue;
        struct ckpt_layer *l = &m->layers[m->nlayers];
        l->name = prop(c, "name");
        l->parent = prop(c, "parent");
        m->nlayers++;
        if (!ckpt_layer_name_ok(l->name) || find_layer(m, l->name, m->nlayers - 1) ||
            (l->parent && !find_layer(m, l->parent, m->nlayers - 1)))
            return -1;
    }
    m->parent = prop(layers, "parent");
    return m->nlayers && find_layer(m, m->parent, m->nlayers) ? 0 : -1;
}


int ckpt_manifest_parse(const char *buf, size_t len, struct ckpt_manifest *m, struct ckpt_err *e)
{
    xmlDocPtr doc = NULL;
    xmlNodePtr root, job, src, files, images, mac, saved, layers;
    long long v;
    int rc = -1;
    const char *what = "";

    memset(m, 0, sizeof(*m));
    if (len > (64u << 20)) {
        ckpt_err_set(e, EBADMSG, "manifest is too large");
        goto out;
    }
    doc = xmlReadMemory(buf, (int)len, CKPT_MANIFEST, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root || xmlStrcmp(root->name, BAD_CAST "checkpoint")) {
        ckpt_err_set(e, EBADMSG, "manifest is not a ckmig checkpoint manifest (bad XML)");
        goto out;
    }
    if (prop_num(root, "version", &v, true) < 0) {
        ckpt_err_set(e, EBADMSG, "manifest has no format version");
        goto out;
    }
    m->version = (int)v;
    if (v != CKPT_FORMAT_VERSION) {
        ckpt_err_set(e, EPROTO, "unknown checkpoint format version %lld (this ckmig reads version %d)",
                     v, CKPT_FORMAT_VERSION);
        goto out;
    }
    job = child(root, "job");
    src = child(root, "source");
    files = child(root, "files");
    images = child(root, "images");
    mac = child(root, "mac");
    saved = child(root, "saved");
    layers = child(root, "layers");
    what = "layers";
    if (parse_layers(layers, m) < 0)
        goto bad;
    what = "job";
    if (!job)
        goto bad;
    m->jobid = prop(job, "id");
    m->name = prop(job, "name");
    if (m->name && !plain_name(m->name))
        goto bad;
    if (prop_num(job, "uid", &v, true) < 0)
        goto bad;
    m->uid = (uid_t)v;
    if (prop_num(job, "gid", &v, true) < 0)
        goto bad;
    m->gid = (gid_t)v;
    if (prop_num(job, "requester", &v, false) < 0)
        goto bad;
    m->requester = (pid_t)v;
    what = "source";
    if (!src || prop_num(src, "time", &m->time, true) < 0)
        goto bad;
    if (prop_num(src, "postcopy", &v, false) < 0 || v < 0 || v > 1)
        goto bad;
    m->postcopy = v == 1;
    m->host = prop(src, "host");
    m->criu_version = prop(src, "criu");
    m->kernel = prop(src, "kernel");
    what = "files";
    m->files = calloc((size_t)count_children(files, "file") + 1, sizeof(*m->files));
    if (!files || !m->files)
        goto bad;
    for (xmlNodePtr c = files->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || xmlStrcmp(c->name, BAD_CAST "file"))
            continue;
        struct ckpt_file *f = &m->files[m->nfiles];
        xmlChar *t = xmlNodeGetContent(c);
        f->path = t ? strdup((char *)t) : NULL;
        xmlFree(t);
        m->nfiles++;
        if (!f->path || f->path[0] != '/' || prop_num(c, "size", &f->size, true) < 0)
            goto bad;
        long long dev, ino, fu;
        if (prop_num(c, "dev", &dev, false) < 0 || prop_num(c, "ino", &ino, false) < 0 ||
            prop_num(c, "uid", &fu, false) < 0)
            goto bad;
        char *has = prop(c, "ino");
        f->has_id = has != NULL;
        free(has);
        f->dev = (unsigned long long)dev;
        f->ino = (unsigned long long)ino;
        f->owner = (uid_t)fu;
        f->ext = prop(c, "ext");
        if (f->ext && !ext_key_ok(f->ext))
            goto bad;
        char *kind = prop(c, "kind");
        f->dir = kind && !strcmp(kind, "dir");
        bool kind_ok = !kind || f->dir || !strcmp(kind, "file");
        free(kind);
        if (!kind_ok)
            goto bad;
    }
    what = "images";
    m->images = calloc((size_t)count_children(images, "image") + 1, sizeof(*m->images));
    if (!images || !m->images)
        goto bad;
    char *alg = prop(images, "hash"), *nonce = prop(images, "nonce");
    int ar = alg ? ckpt_hash_alg_parse(alg, &m->hash_alg) : -1;
    int nr = ckpt_hex_decode(nonce, m->hash_nonce, 16);
    free(alg);
    free(nonce);
    if (ar < 0 || nr < 0)
        goto bad;
    for (xmlNodePtr c = images->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || xmlStrcmp(c->name, BAD_CAST "image"))
            continue;
        struct ckpt_image *im = &m->images[m->nimages];
        im->name = prop(c, "name");
        m->nimages++;
        char *h = prop(c, "digest");
        int hr = ckpt_hex_decode(h, im->digest, 32);
        free(h);
        if (!image_name_ok(m, im->name) || prop_num(c, "size", &im->size, true) < 0 || hr < 0)
            goto bad;
    }
    what = "saved";
    if (saved) {
        m->saved = calloc((size_t)count_children(saved, "file") + 1, sizeof(*m->saved));
        if (!m->saved)
            goto bad;
        for (xmlNodePtr c = saved->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE || xmlStrcmp(c->name, BAD_CAST "file"))
                continue;
            struct ckpt_saved *sv = &m->saved[m->nsaved++];
            xmlChar *t = xmlNodeGetContent(c);
            sv->path = t ? strdup((char *)t) : NULL;
            xmlFree(t);
            sv->image = prop(c, "image");
            sv->ext = prop(c, "ext");
            long long mode, kind;
            if (!sv->path || !plain_name(sv->image) || !sv->ext ||
                prop_num(c, "mode", &mode, true) < 0 || prop_num(c, "kind", &kind, true) < 0 ||
                mode < 0 || mode > 0xffffffffLL || kind < 0 || kind > CKPT_SAVE_ALL)
                goto bad;
            sv->mode = (unsigned)mode;
            sv->kind = (unsigned)kind;
        }
    }
    what = "mac";
    if (!mac)
        goto bad;
    xmlChar *t = xmlNodeGetContent(mac);
    int mr = ckpt_hex_decode(t ? (char *)t : "", m->mac, 32);
    xmlFree(t);
    if (mr < 0)
        goto bad;
    rc = 0;
    goto out;
bad:
    ckpt_err_set(e, EBADMSG, "manifest is damaged: bad or missing <%s>", what);
out:
    if (rc < 0 && e->code != EPROTO) {
        ckpt_manifest_free(m);
    } else if (rc < 0) {
        int ver = m->version;
        ckpt_manifest_free(m);
        m->version = ver;
    }
    xmlFreeDoc(doc);
    return rc;
}

int ckpt_manifest_read_fd(int fd, const char *shown, struct ckpt_manifest *m, struct ckpt_err *e)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int rc = -1;

    memset(m, 0, sizeof(*m));
    if (fstat(fd, &st) < 0)
        return ckpt_err_set(e, errno, "cannot read %s/%s: %s", shown, CKPT_MANIFEST, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ckpt_err_set(e, EBADMSG, "%s/%s is not a regular file", shown, CKPT_MANIFEST);
    if (st.st_size > (64 << 20))
        return ckpt_err_set(e, EBADMSG, "%s/%s: manifest is too large", shown, CKPT_MANIFEST);
    buf = malloc((size_t)st.st_size + 1);
    while (buf && len < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    if (!buf || len != (size_t)st.st_size) {
        ckpt_err_set(e, buf ? EIO : ENOMEM, "cannot read %s/%s", shown, CKPT_MANIFEST);
        goto out;
    }
    if (ckpt_manifest_parse(buf, len, m, e) < 0) {
        if (e->code == EBADMSG) {
            char msg[sizeof(e->msg)];
            snprintf(msg, sizeof(msg), "%s", e->msg);
            ckpt_err_set(e, EBADMSG, "%s/%s: %s", shown, CKPT_MANIFEST, msg);
        }
        goto out;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

int ckpt_manifest_read(const char *dir, struct ckpt_manifest *m, struct ckpt_err *e)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    memset(m, 0, sizeof(*m));
    if (dfd < 0)
        return ckpt_err_set(e, errno, "cannot open checkpoint %s: %s", dir, strerror(errno));
    int rc = ckpt_manifest_read_at(dfd, dir, m, e);
    close(dfd);
    return rc;
}

int ckpt_manifest_read_at(int dfd, const char *shown, struct ckpt_manifest *m, struct ckpt_err *e)
{
    int fd = openat(dfd, CKPT_MANIFEST, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

    memset(m, 0, sizeof(*m));
    if (fd < 0) {
        int err = errno;
        if (err == ELOOP)
            return ckpt_err_set(e, EBADMSG, "%s/%s is a symbolic link: refused", shown,
                                CKPT_MANIFEST);
        return ckpt_err_set(e, err, "cannot read %s/%s: %s", shown, CKPT_MANIFEST, strerror(err));
    }
    int rc = ckpt_manifest_read_fd(fd, shown, m, e);
    close(fd);
    return rc;
}

int ckpt_manifest_write(const char *dir, const struct ckpt_manifest *m, struct ckpt_err *e)
{
    char path[4096], tmp[4096];
    size_t len = 0;
    char *xml = ckpt_manifest_to_xml(m, &len);
    int fd = -1, rc = -1;

    snprintf(path, sizeof(path), "%s/%s", dir, CKPT_MANIFEST);
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, CKPT_MANIFEST);
    if (!xml) {
        ckpt_err_set(e, ENOMEM, "cannot build the manifest");
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        goto fail;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, xml + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        off += (size_t)w;
    }
    if ((geteuid() == 0 && fchown(fd, 0, 0) < 0) || fsync(fd) < 0 || close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    ckpt_err_set(e, errno, "cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
out:
    if (fd >= 0)
        close(fd);
    free(xml);
    return rc;
}
