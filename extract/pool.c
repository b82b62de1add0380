/* pool.c -- supervised extraction workers (after omega's assistants): the
 * wire protocol, spawning under limits, and the poll() supervisor. */
#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* AddressSanitizer reserves terabytes of shadow address space, so an
 * RLIMIT_AS that would be generous for a normal build stops an ASan
 * worker from starting at all; sanitized builds run without the memory
 * limit (the time limit still holds). */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#ifndef POOL_ASAN
#define POOL_ASAN 0
#endif

/* ------------------------------------------------------------- Protocol
 *
 * Every frame is a 4-byte big-endian length and that many bytes.
 *
 *   worker, once at start:  frame {"ready":true}
 *   pool -> worker:         frame {"media_type":..,"charset":..,"url":..,
 *                                  "filename":..,"len":N,"limits":{..}}
 *                           frame <N raw bytes>
 *   worker -> pool:         frame {"ok":true,"result":<result JSON>}
 *                        or frame {"ok":false,"code":N,"message":".."}
 *
 * The success envelope has a fixed spelling, so the supervisor hands the
 * bytes between the prefix and the closing brace straight to
 * extract_result_from_json() instead of parsing a large text twice.
 *
 * The channel is a Unix stream socket rather than two pipes: the pool
 * writes with send(MSG_NOSIGNAL), so a worker that dies mid-request gives
 * EPIPE instead of a SIGPIPE that would kill the caller, and the library
 * never touches the process's signal dispositions. */

#define HEADER_MAX (1024 * 1024)
#define OK_PREFIX "{\"ok\":true,\"result\":"
#define OK_SUFFIX "}"
#define READY_FRAME "{\"ready\":true}"
/* How long a freshly spawned worker has to say it is ready. */
#define READY_TIMEOUT_MS 30000
/* How long an exiting worker has to go before it is killed. */
#define REAP_GRACE_MS 2000

static void
put_be32(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24);
    p[1] = (guint8)(v >> 16);
    p[2] = (guint8)(v >> 8);
    p[3] = (guint8)v;
}

static guint32
get_be32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) |
           ((guint32)p[2] << 8) | (guint32)p[3];
}

static gboolean
proto_error(GError **error, const char *fmt, const char *detail)
{
    g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND, fmt, detail);
    return FALSE;
}

/* Blocking write of all of @buf; the worker side only. */
static gboolean
write_all(int fd, const void *buf, gsize len, GError **error)
{
    const guint8 *p = buf;

    while (len > 0) {
        ssize_t k = write(fd, p, len);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return proto_error(error, "write to pool: %s",
                               g_strerror(errno));
        p += k;
        len -= (gsize)k;
    }
    return TRUE;
}

/* Blocking read of exactly @len bytes.  Returns 1 when read, 0 at end of
 * input before the first byte, -1 on error or a short read. */
static int
read_all(int fd, void *buf, gsize len, GError **error)
{
    guint8 *p = buf;
    gsize got = 0;

    while (got < len) {
        ssize_t k = read(fd, p + got, len - got);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            proto_error(error, "read from pool: %s", g_strerror(errno));
            return -1;
        }
        if (k == 0) {
            if (got == 0)
                return 0;
            proto_error(error, "%s", "truncated frame from pool");
            return -1;
        }
        got += (gsize)k;
    }
    return 1;
}

static gboolean
write_frame(int fd, const void *buf, gsize len, GError **error)
{
    guint8 head[4];

    if (len > G_MAXUINT32)
        return proto_error(error, "%s", "frame too large");
    put_be32(head, (guint32)len);
    return write_all(fd, head, sizeof(head), error) &&
           write_all(fd, buf, len, error);
}

gboolean
extract_worker_write_ready(int fd, GError **error)
{
    return write_frame(fd, READY_FRAME, strlen(READY_FRAME), error);
}

struct extract_request {
    extract_input_t input;
    extract_limits_t limits;
    char *media_type;
    char *charset;
    char *url;
    char *filename;
    char *ocr_cache;            /* limits.ocr_cache points here */
    guint8 *data;
};

void
extract_request_free(extract_request_t *req)
{
    if (!req)
        return;
    g_free(req->media_type);
    g_free(req->charset);
    g_free(req->url);
    g_free(req->filename);
    g_free(req->ocr_cache);
    g_free(req->data);
    g_free(req);
}

const extract_input_t *
extract_request_input(const extract_request_t *req)
{
    return &req->input;
}

const extract_limits_t *
extract_request_limits(const extract_request_t *req)
{
    return &req->limits;
}

/* A string member or null; anything else is a broken header. */
static gboolean
header_string(JsonObject *o, const char *name, char **out)
{
    JsonNode *n = json_object_get_member(o, name);

    if (!n || JSON_NODE_HOLDS_NULL(n))
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_STRING)
        return FALSE;
    *out = g_strdup(json_node_get_string(n));
    return TRUE;
}

static gboolean
header_uint(JsonObject *o, const char *name, guint64 max, guint64 *out)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;

    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_INT64 ||
        json_node_get_int(n) < 0 || (guint64)json_node_get_int(n) > max)
        return FALSE;
    *out = (guint64)json_node_get_int(n);
    return TRUE;
}

static gboolean
parse_header(extract_request_t *req, const char *json, gsize len,
             guint64 *data_len, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    JsonObject *o;
    JsonObject *lim = NULL;
    JsonNode *root;
    JsonNode *n;
    guint64 max_bytes, max_pages, max_text, timeout_ms, ocr, ocr_page_ms;

    if (!json_parser_load_from_data(parser, json, (gssize)len, NULL))
        return proto_error(error, "%s", "request header is not JSON");
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return proto_error(error, "%s", "request header is not an object");
    o = json_node_get_object(root);
    n = json_object_get_member(o, "limits");
    if (n && JSON_NODE_HOLDS_OBJECT(n))
        lim = json_node_get_object(n);
    if (!header_string(o, "media_type", &req->media_type) ||
        !header_string(o, "charset", &req->charset) ||
        !header_string(o, "url", &req->url) ||
        !header_string(o, "filename", &req->filename) ||
        !header_uint(o, "len", G_MAXUINT32, data_len) ||
        !header_uint(lim, "max_bytes", G_MAXSIZE, &max_bytes) ||
        !header_uint(lim, "max_pages", G_MAXUINT, &max_pages) ||
        !header_uint(lim, "max_text", G_MAXSIZE, &max_text) ||
        !header_uint(lim, "timeout_ms", G_MAXUINT, &timeout_ms) ||
        !header_uint(lim, "ocr", EXTRACT_OCR_N - 1, &ocr) ||
        !header_uint(lim, "ocr_page_ms", G_MAXUINT, &ocr_page_ms) ||
        !header_string(lim, "ocr_cache", &req->ocr_cache))
        return proto_error(error, "%s", "request header has a bad field");
    extract_limits_init(&req->limits);
    req->limits.max_bytes = (gsize)max_bytes;
    req->limits.max_pages = (guint)max_pages;
    req->limits.max_text = (gsize)max_text;
    /* The worker itself is killed at timeout_ms; it knows the limit so
     * that OCR can stop before it and keep the pages read. */
    req->limits.timeout_ms = (guint)timeout_ms;
    req->limits.ocr = (extract_ocr_mode_t)ocr;
    req->limits.ocr_page_ms = (guint)ocr_page_ms;
    req->limits.ocr_cache = req->ocr_cache;
    return TRUE;
}

extract_request_t *
extract_worker_read_request(int fd, GError **error)
{
    g_autoptr(extract_request_t) req = g_new0(extract_request_t, 1);
    g_autofree char *header = NULL;
    guint8 head[4];
    guint32 len;
    guint64 data_len = 0;
    int r;

    r = read_all(fd, head, sizeof(head), error);
    if (r <= 0)
        return NULL;
    len = get_be32(head);
    if (len > HEADER_MAX) {
        proto_error(error, "%s", "request header too large");
        return NULL;
    }
    header = g_malloc(len + 1);
    if (read_all(fd, header, len, error) <= 0 && len > 0) {
        if (error && !*error)
            proto_error(error, "%s", "truncated request");
        return NULL;
    }
    header[len] = '\0';
    if (!parse_header(req, header, len, &data_len, error))
        return NULL;

    if (read_all(fd, head, sizeof(head), error) <= 0) {
        if (error && !*error)
            proto_error(error, "%s", "truncated request");
        return NULL;
    }
    if (get_be32(head) != data_len) {
        proto_error(error, "%s", "request data length mismatch");
        return NULL;
    }
    /* One spare byte, so an empty input still has a non-NULL pointer. */
    req->data = g_try_malloc(data_len + 1);
    if (!req->data) {
        proto_error(error, "%s", "no memory for the request data");
        return NULL;
    }
    if (data_len > 0 && read_all(fd, req->data, data_len, error) <= 0) {
        if (error && !*error)
            proto_error(error, "%s", "truncated request");
        return NULL;
    }
    req->input.data = req->data;
    req->input.len = (gsize)data_len;
    req->input.media_type = req->media_type;
    req->input.charset = req->charset;
    req->input.url = req->url;
    req->input.filename = req->filename;
    return g_steal_pointer(&req);
}

gboolean
extract_worker_write_reply(int fd, const extract_result_t *result,
                           const GError *failure, GError **error)
{
    g_autofree char *body = NULL;
    gsize body_len = 0;
    guint8 head[4];
    gsize total;

    if (failure) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        int code = failure->domain == EXTRACT_ERROR ? failure->code
                                                    : EXTRACT_ERROR_BACKEND;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, FALSE);
        json_builder_set_member_name(b, "code");
        json_builder_add_int_value(b, code);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, failure->message);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        json_generator_set_root(gen, root);
        body = json_generator_to_data(gen, &body_len);
        return write_frame(fd, body, body_len, error);
    }

    /* The envelope is written around the result without copying it. */
    body = extract_result_to_json(result, &body_len);
    total = strlen(OK_PREFIX) + body_len + strlen(OK_SUFFIX);
    if (total > G_MAXUINT32)
        return proto_error(error, "%s", "reply too large");
    put_be32(head, (guint32)total);
    return write_all(fd, head, sizeof(head), error) &&
           write_all(fd, OK_PREFIX, strlen(OK_PREFIX), error) &&
           write_all(fd, body, body_len, error) &&
           write_all(fd, OK_SUFFIX, strlen(OK_SUFFIX), error);
}

/* ---------------------------------------------------------------- Pool */

typedef enum {
    SLOT_DEAD,                  /* no process; restart before use */
    SLOT_IDLE,                  /* ready for a request */
    SLOT_BUSY                   /* a request is out */
} slot_state_t;

typedef struct {
    slot_state_t state;
    GPid pid;
    int fd;                     /* our end of the socket, or -1 */
    guint index;                /* the input being extracted */
    gint64 deadline;            /* monotonic µs; 0 = none */
    GByteArray *head;           /* both length prefixes + header JSON */
    const guint8 *data;         /* (transfer none) the caller's bytes */
    gsize data_len;
    gsize sent;                 /* of head->len + data_len */
    guint8 len_buf[4];
    gsize len_got;
    guint32 reply_len;
    guint8 *reply;              /* NULL until the length is known */
    gsize reply_got;
} slot_t;

struct extract_pool {
    extract_limits_t limits;
    char *worker_path;
    char **envp;                /* the workers' environment */
    slot_t *slots;
    guint n_slots;
    gsize reply_max;
    extract_pool_stats_t stats;
    gboolean running;           /* guards against re-entry from done() */
    pid_t parent;               /* for the child's PDEATHSIG race check */
};

/* Runs in the child between fork and exec, so only async-signal-safe
 * calls: the limits, and death with the parent.  PR_SET_PDEATHSIG fires
 * when the thread that forked exits, hence the rule that the thread that
 * creates and runs the pool outlives it.  The getppid() check covers a
 * parent that died before prctl() took effect. */
static void
child_setup(gpointer rock)
{
    const extract_pool_t *pool = rock;
    struct rlimit core = { 0, 0 };

    setrlimit(RLIMIT_CORE, &core);
    if (!POOL_ASAN && pool->limits.memory_mb > 0) {
        struct rlimit as;

        as.rlim_cur = (rlim_t)pool->limits.memory_mb * 1024 * 1024;
        as.rlim_max = as.rlim_cur;
        setrlimit(RLIMIT_AS, &as);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != pool->parent)
        _exit(127);
}

static void
slot_reset_io(slot_t *s)
{
    if (s->head)
        g_byte_array_unref(s->head);
    s->head = NULL;
    s->data = NULL;
    s->data_len = 0;
    s->sent = 0;
    s->len_got = 0;
    s->reply_len = 0;
    g_free(s->reply);
    s->reply = NULL;
    s->reply_got = 0;
    s->deadline = 0;
}

/* Waits for @pid to end, killing it after @grace_ms; returns its wait
 * status, or -1 when it could not be reaped (SIGCHLD ignored by the
 * application, say). */
static int
reap(GPid pid, guint grace_ms)
{
    gint64 until = g_get_monotonic_time() + (gint64)grace_ms * 1000;
    int status;

    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (g_get_monotonic_time() >= until)
            break;
        g_usleep(1000);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return status;
}

static void
slot_close(slot_t *s, guint grace_ms, int *status)
{
    int st = -1;

    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->pid > 0)
        st = reap(s->pid, grace_ms);
    s->pid = 0;
    s->state = SLOT_DEAD;
    slot_reset_io(s);
    if (status)
        *status = st;
}

/* Reads the ready frame, blocking up to READY_TIMEOUT_MS. */
static gboolean
await_ready(int fd, GError **error)
{
    guint8 buf[4 + sizeof(READY_FRAME)];
    gsize want = 4 + strlen(READY_FRAME);
    gsize got = 0;
    gint64 until = g_get_monotonic_time() + READY_TIMEOUT_MS * 1000LL;

    while (got < want) {
        struct pollfd p = { fd, POLLIN, 0 };
        gint64 left = (until - g_get_monotonic_time()) / 1000;
        ssize_t k;
        int r;

        if (left <= 0)
            return proto_error(error, "%s", "did not become ready");
        r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        k = recv(fd, buf + got, want - got, MSG_DONTWAIT);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (k <= 0)
            return proto_error(error, "%s", "exited before it was ready");
        got += (gsize)k;
    }
    if (get_be32(buf) != strlen(READY_FRAME) ||
        memcmp(buf + 4, READY_FRAME, strlen(READY_FRAME)) != 0)
        return proto_error(error, "%s", "sent a bad ready frame");
    return TRUE;
}

static gboolean
slot_start(extract_pool_t *pool, slot_t *s, GError **error)
{
    const char *argv[] = { pool->worker_path, NULL };
    g_autoptr(GError) local = NULL;
    int sv[2];
    GPid pid = 0;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND,
                    "extraction worker: socketpair: %s", g_strerror(errno));
        return FALSE;
    }
    /* GLib closes every other descriptor in the child; our end is
     * close-on-exec so workers spawned by other threads miss it too. */
    if (!g_spawn_async_with_pipes_and_fds(
            NULL, argv, (const char *const *)pool->envp,
            G_SPAWN_DO_NOT_REAP_CHILD, child_setup,
            pool,
            sv[1], sv[1], -1, NULL, NULL, 0, &pid, NULL, NULL, NULL,
            &local)) {
        close(sv[0]);
        close(sv[1]);
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND,
                    "extraction worker %s: %s", pool->worker_path,
                    local->message);
        return FALSE;
    }
    close(sv[1]);
    pool->stats.started++;
    s->pid = pid;
    s->fd = sv[0];
    if (!await_ready(s->fd, &local)) {
        slot_close(s, 0, NULL);
        g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND,
                    "extraction worker %s %s", pool->worker_path,
                    local->message);
        return FALSE;
    }
    s->state = SLOT_IDLE;
    return TRUE;
}

/* NULL: $CTMAP_EXTRACT_WORKER, else ctmap-extract-worker beside the
 * running executable (the build tree puts it there), else in the
 * compiled-in CTMAP_WORKER_DIR (installed: /usr/lib/ctmap, off $PATH as
 * Debian wants for programs only other programs run). */
static char *
find_worker(const char *worker_path)
{
    const char *env = g_getenv("CTMAP_EXTRACT_WORKER");
    g_autofree char *self = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *beside = NULL;

    if (worker_path)
        return g_strdup(worker_path);
    if (env && *env)
        return g_strdup(env);
    self = g_file_read_link("/proc/self/exe", NULL);
    if (self) {
        dir = g_path_get_dirname(self);
        beside = g_build_filename(dir, "ctmap-extract-worker", NULL);
        if (g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
            return g_steal_pointer(&beside);
    }
#ifdef CTMAP_WORKER_DIR
    return g_build_filename(CTMAP_WORKER_DIR, "ctmap-extract-worker", NULL);
#else
    return beside ? g_steal_pointer(&beside)
                  : g_strdup("ctmap-extract-worker");
#endif
}

/* Replies carry at most max_text bytes of text, which JSON escaping can
 * at most double, plus metadata and links bounded by the input; with no
 * text limit any frame up to the 4-byte length is allowed. */
static gsize
reply_max(const extract_limits_t *l)
{
    guint64 m;

    if (l->max_text == 0)
        return G_MAXUINT32;
    m = 2 * (guint64)l->max_text + (guint64)l->max_bytes + 1024 * 1024;
    return m > G_MAXUINT32 ? G_MAXUINT32 : (gsize)m;
}

extract_pool_t *
extract_pool_new(guint workers, const extract_limits_t *limits,
                 const char *worker_path, GError **error)
{
    extract_pool_t *pool = g_new0(extract_pool_t, 1);
    g_autoptr(GError) first = NULL;
    guint up = 0;

    if (limits)
        pool->limits = *limits;
    else
        extract_limits_init(&pool->limits);
    pool->worker_path = find_worker(worker_path);
    /* Tesseract's OpenMP threads make OCR about 7 times slower on 2 cores
     * when every worker runs its own page (issue 15), and OpenMP reads
     * the limit only when the program starts, so it goes into the
     * environment the workers are started with. */
    pool->envp = g_environ_setenv(g_get_environ(), "OMP_THREAD_LIMIT", "1",
                                  TRUE);
    pool->parent = getpid();
    pool->n_slots = workers > 0 ? workers : 1;
    pool->slots = g_new0(slot_t, pool->n_slots);
    pool->reply_max = reply_max(&pool->limits);
    for (guint i = 0; i < pool->n_slots; i++) {
        pool->slots[i].fd = -1;
        pool->slots[i].state = SLOT_DEAD;
    }
    for (guint i = 0; i < pool->n_slots; i++) {
        g_autoptr(GError) e = NULL;

        if (slot_start(pool, &pool->slots[i], &e))
            up++;
        else if (!first)
            first = g_steal_pointer(&e);
        /* One failure is enough to know the binary is unusable. */
        if (!up && first)
            break;
    }
    if (up == 0) {
        g_propagate_error(error, g_steal_pointer(&first));
        extract_pool_free(pool);
        return NULL;
    }
    return pool;
}

/* Closing our end is the workers' signal to exit; those that do not
 * within the grace period are killed, and every one is reaped. */
void
extract_pool_free(extract_pool_t *pool)
{
    if (!pool)
        return;
    for (guint i = 0; i < pool->n_slots; i++) {
        if (pool->slots[i].fd >= 0)
            close(pool->slots[i].fd);
        pool->slots[i].fd = -1;
    }
    for (guint i = 0; i < pool->n_slots; i++)
        slot_close(&pool->slots[i], REAP_GRACE_MS, NULL);
    g_free(pool->slots);
    g_free(pool->worker_path);
    g_strfreev(pool->envp);
    g_free(pool);
}

void
extract_pool_stats(const extract_pool_t *pool, extract_pool_stats_t *stats)
{
    *stats = pool->stats;
}

static void
json_string_or_null(JsonBuilder *b, const char *name, const char *v)
{
    json_builder_set_member_name(b, name);
    if (v) {
        /* File names need not be UTF-8 ("caf\xe9.txt" on an old share);
         * the header is JSON, and the worker only wants a hint. */
        g_autofree char *valid = g_utf8_make_valid(v, -1);

        json_builder_add_string_value(b, valid);
    } else {
        json_builder_add_null_value(b);
    }
}

static void
json_uint(JsonBuilder *b, const char *name, guint64 v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, (gint64)v);
}

/* Prepares the request for @in on @s; the data is sent from the caller's
 * buffer, not copied. */
static void
slot_assign(extract_pool_t *pool, slot_t *s, guint index,
            const extract_input_t *in)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *json = NULL;
    gsize json_len = 0;
    guint8 len[4];

    json_builder_begin_object(b);
    json_string_or_null(b, "media_type", in->media_type);
    json_string_or_null(b, "charset", in->charset);
    json_string_or_null(b, "url", in->url);
    json_string_or_null(b, "filename", in->filename);
    json_uint(b, "len", in->len);
    json_builder_set_member_name(b, "limits");
    json_builder_begin_object(b);
    json_uint(b, "max_bytes", pool->limits.max_bytes);
    json_uint(b, "max_pages", pool->limits.max_pages);
    json_uint(b, "max_text", pool->limits.max_text);
    json_uint(b, "timeout_ms", pool->limits.timeout_ms);
    json_uint(b, "ocr", pool->limits.ocr);
    json_uint(b, "ocr_page_ms", pool->limits.ocr_page_ms);
    json_string_or_null(b, "ocr_cache", pool->limits.ocr_cache);
    json_builder_end_object(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json = json_generator_to_data(gen, &json_len);

    slot_reset_io(s);
    s->head = g_byte_array_sized_new(json_len + 8);
    put_be32(len, (guint32)json_len);
    g_byte_array_append(s->head, len, 4);
    g_byte_array_append(s->head, (const guint8 *)json, json_len);
    put_be32(len, (guint32)in->len);
    g_byte_array_append(s->head, len, 4);
    s->data = in->data;
    s->data_len = in->len;
    s->index = index;
    s->state = SLOT_BUSY;
    if (pool->limits.timeout_ms > 0)
        s->deadline = g_get_monotonic_time() +
                      (gint64)pool->limits.timeout_ms * 1000;
}

typedef enum {
    IO_AGAIN,                   /* nothing more to do until poll says */
    IO_REPLY,                   /* a whole reply is in s->reply */
    IO_DEAD                     /* the worker is gone or broken */
} io_t;

/* Sends as much of the request as the socket takes now. */
static io_t
slot_send(slot_t *s)
{
    gsize total = s->head->len + s->data_len;

    while (s->sent < total) {
        const guint8 *p;
        gsize n;
        ssize_t k;

        if (s->sent < s->head->len) {
            p = s->head->data + s->sent;
            n = s->head->len - s->sent;
        } else {
            p = s->data + (s->sent - s->head->len);
            n = total - s->sent;
        }
        k = send(s->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return IO_AGAIN;
        if (k < 0)
            return IO_DEAD;
        s->sent += (gsize)k;
    }
    return IO_AGAIN;
}

/* Reads what is there of the reply; @err explains an IO_DEAD that is a
 * protocol violation rather than an exit. */
static io_t
slot_recv(extract_pool_t *pool, slot_t *s, char **err)
{
    for (;;) {
        guint8 *p;
        gsize n;
        ssize_t k;

        if (s->len_got < 4) {
            p = s->len_buf + s->len_got;
            n = 4 - s->len_got;
        } else {
            p = s->reply + s->reply_got;
            n = s->reply_len - s->reply_got;
        }
        k = recv(s->fd, p, n, MSG_DONTWAIT);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return IO_AGAIN;
        if (k <= 0)
            return IO_DEAD;
        if (s->len_got < 4) {
            s->len_got += (gsize)k;
            if (s->len_got < 4)
                continue;
            s->reply_len = get_be32(s->len_buf);
            if (s->reply_len > pool->reply_max) {
                *err = g_strdup_printf("worker sent a malformed reply "
                                       "(a frame of %u bytes)",
                                       s->reply_len);
                return IO_DEAD;
            }
            s->reply = g_try_malloc(s->reply_len + 1);
            if (!s->reply) {
                *err = g_strdup("no memory for the worker's reply");
                return IO_DEAD;
            }
        } else {
            s->reply_got += (gsize)k;
        }
        if (s->len_got == 4 && s->reply_got == s->reply_len) {
            s->reply[s->reply_len] = '\0';
            return IO_REPLY;
        }
    }
}

/* Turns a complete reply into a result or a document error.  FALSE when
 * the reply is malformed (the worker is then treated as broken). */
static gboolean
decode_reply(const guint8 *buf, gsize len, extract_result_t *result,
             GError **doc_error, char **err)
{
    gsize pre = strlen(OK_PREFIX);
    gsize suf = strlen(OK_SUFFIX);
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) local = NULL;
    JsonNode *root, *code, *msg, *ok;
    JsonObject *o;
    gint64 c;

    if (len >= pre + suf && memcmp(buf, OK_PREFIX, pre) == 0 &&
        memcmp(buf + len - suf, OK_SUFFIX, suf) == 0) {
        if (extract_result_from_json(result, (const char *)buf + pre,
                                     len - pre - suf, &local))
            return TRUE;
        *err = g_strdup_printf("worker sent a malformed reply (%s)",
                               local->message);
        return FALSE;
    }
    parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(parser, (const char *)buf, (gssize)len,
                                    NULL) ||
        !(root = json_parser_get_root(parser)) ||
        !JSON_NODE_HOLDS_OBJECT(root)) {
        *err = g_strdup("worker sent a malformed reply (not JSON)");
        return FALSE;
    }
    o = json_node_get_object(root);
    ok = json_object_get_member(o, "ok");
    code = json_object_get_member(o, "code");
    msg = json_object_get_member(o, "message");
    if (!ok || !JSON_NODE_HOLDS_VALUE(ok) ||
        json_node_get_value_type(ok) != G_TYPE_BOOLEAN ||
        json_node_get_boolean(ok) || !code || !msg ||
        !JSON_NODE_HOLDS_VALUE(code) || !JSON_NODE_HOLDS_VALUE(msg) ||
        json_node_get_value_type(code) != G_TYPE_INT64 ||
        json_node_get_value_type(msg) != G_TYPE_STRING) {
        *err = g_strdup("worker sent a malformed reply (bad fields)");
        return FALSE;
    }
    c = json_node_get_int(code);
    if (c < 0 || c >= EXTRACT_ERROR_N)
        c = EXTRACT_ERROR_BACKEND;
    g_set_error_literal(doc_error, EXTRACT_ERROR, (int)c,
                        json_node_get_string(msg));
    return TRUE;
}

/* The document error for a worker that ended with @status mid-request. */
static GError *
death_error(const extract_pool_t *pool, int status)
{
    if (status >= 0 && WIFEXITED(status) &&
        WEXITSTATUS(status) == EXTRACT_WORKER_EXIT_NOMEM)
        return g_error_new(EXTRACT_ERROR, EXTRACT_ERROR_CRASHED,
                           "worker exceeded the memory limit (%zu MB)",
                           pool->limits.memory_mb);
    if (status >= 0 && WIFEXITED(status))
        return g_error_new(EXTRACT_ERROR, EXTRACT_ERROR_CRASHED,
                           "worker crashed: exit status %d",
                           WEXITSTATUS(status));
    if (status >= 0 && WIFSIGNALED(status))
        return g_error_new(EXTRACT_ERROR, EXTRACT_ERROR_CRASHED,
                           "worker crashed: signal %d (%s)",
                           WTERMSIG(status), g_strsignal(WTERMSIG(status)));
    return g_error_new_literal(EXTRACT_ERROR, EXTRACT_ERROR_CRASHED,
                               "worker crashed");
}

static GError *
timeout_error(const extract_pool_t *pool)
{
    guint ms = pool->limits.timeout_ms;

    if (ms % 1000 == 0)
        return g_error_new(EXTRACT_ERROR, EXTRACT_ERROR_TIMEOUT,
                           "timeout after %u s", ms / 1000);
    return g_error_new(EXTRACT_ERROR, EXTRACT_ERROR_TIMEOUT,
                       "timeout after %.1f s", ms / 1000.0);
}

static void
finish(guint index, extract_result_t *result,
       const GError *error, extract_done_cb done, gpointer rock)
{
    done(index, result, error, rock);
    extract_result_clear(result);
}

/* The busy worker on @s is gone: report its document, then restart it.
 * @why overrides the message derived from the exit status. */
static void
slot_fail(extract_pool_t *pool, slot_t *s, GError *why,
          extract_done_cb done, gpointer rock)
{
    g_autoptr(GError) error = why;
    extract_result_t result;
    guint index = s->index;
    int status;

    /* A worker we give up on (timeout, garbage) is killed at once; one
     * that hung up is given the grace period to finish exiting, so its
     * real exit status names the cause. */
    if (why && s->pid > 0)
        kill(s->pid, SIGKILL);
    slot_close(s, why ? 0 : REAP_GRACE_MS, &status);
    if (!error)
        error = death_error(pool, status);
    if (error->code == EXTRACT_ERROR_TIMEOUT)
        pool->stats.timed_out++;
    else
        pool->stats.crashed++;
    pool->stats.documents++;
    extract_result_init(&result);
    finish(index, &result, error, done, rock);
    slot_start(pool, s, NULL);
}

static void
slot_done(extract_pool_t *pool, slot_t *s, extract_done_cb done,
          gpointer rock)
{
    extract_result_t result;
    g_autoptr(GError) doc_error = NULL;
    g_autofree char *err = NULL;
    guint index = s->index;

    extract_result_init(&result);
    if (!decode_reply(s->reply, s->reply_len, &result, &doc_error, &err)) {
        extract_result_clear(&result);
        slot_fail(pool, s,
                  g_error_new_literal(EXTRACT_ERROR, EXTRACT_ERROR_CRASHED,
                                      err),
                  done, rock);
        return;
    }
    slot_reset_io(s);
    s->state = SLOT_IDLE;
    pool->stats.documents++;
    if (doc_error)
        extract_result_clear(&result);
    finish(index, &result, doc_error, done, rock);
}

/* Inputs no worker can take: hard failure of the backend (STYLE rule 5),
 * reported per document so the caller can mark each one. */
static void
fail_rest(guint from, guint n, const char *why,
          extract_done_cb done, gpointer rock)
{
    g_autoptr(GError) error = g_error_new(
        EXTRACT_ERROR, EXTRACT_ERROR_BACKEND,
        "extraction backend unavailable: %s", why);

    for (guint i = from; i < n; i++) {
        extract_result_t result;

        extract_result_init(&result);
        finish(i, &result, error, done, rock);
    }
}

/* Gives each idle worker the next input.  Inputs over the size limit are
 * answered here, without the cost of sending them. */
static void
assign_idle(extract_pool_t *pool, const extract_input_t *const *inputs,
            guint n, guint *next, extract_done_cb done, gpointer rock)
{
    for (guint i = 0; i < pool->n_slots && *next < n; i++) {
        slot_t *s = &pool->slots[i];

        while (s->state == SLOT_IDLE && *next < n) {
            const extract_input_t *in = inputs[*next];

            if (in->len > G_MAXUINT32 ||
                (pool->limits.max_bytes > 0 &&
                 in->len > pool->limits.max_bytes)) {
                g_autoptr(GError) e = g_error_new(
                    EXTRACT_ERROR, EXTRACT_ERROR_TOO_LARGE,
                    "input of %zu bytes exceeds the limit of %zu bytes",
                    in->len, pool->limits.max_bytes);
                extract_result_t result;

                extract_result_init(&result);
                finish((*next)++, &result, e, done, rock);
                continue;
            }
            slot_assign(pool, s, (*next)++, in);
        }
    }
}

gboolean
extract_pool_run(extract_pool_t *pool,
                 const extract_input_t *const *inputs, guint n,
                 extract_done_cb done, gpointer rock, GError **error)
{
    g_autofree struct pollfd *fds = g_new0(struct pollfd, pool->n_slots);
    g_autofree slot_t **polled = g_new0(slot_t *, pool->n_slots);
    g_autoptr(GError) start_error = NULL;
    guint next = 0;

    g_return_val_if_fail(!pool->running, FALSE);
    pool->running = TRUE;
    for (;;) {
        guint live = 0, busy = 0, np = 0;
        gint64 now, wait_ms = -1;

        /* Restart what died since; a slot that cannot be restarted stays
         * dead, and only when all are dead is the backend unusable. */
        for (guint i = 0; i < pool->n_slots; i++) {
            slot_t *s = &pool->slots[i];

            if (s->state == SLOT_DEAD && next < n) {
                g_clear_error(&start_error);
                slot_start(pool, s, &start_error);
            }
            if (s->state != SLOT_DEAD)
                live++;
        }
        if (live == 0 && next < n) {
            fail_rest(next, n,
                      start_error ? start_error->message : "no worker",
                      done, rock);
            g_propagate_error(error, g_steal_pointer(&start_error));
            if (error && !*error)
                g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND,
                            "no extraction worker could be started");
            pool->running = FALSE;
            return FALSE;
        }
        assign_idle(pool, inputs, n, &next, done, rock);

        now = g_get_monotonic_time();
        for (guint i = 0; i < pool->n_slots; i++) {
            slot_t *s = &pool->slots[i];

            if (s->state != SLOT_BUSY)
                continue;
            busy++;
            fds[np].fd = s->fd;
            fds[np].events = POLLIN;
            if (s->sent < s->head->len + s->data_len)
                fds[np].events |= POLLOUT;
            fds[np].revents = 0;
            polled[np++] = s;
            if (s->deadline > 0) {
                gint64 left = (s->deadline - now + 999) / 1000;

                if (left < 0)
                    left = 0;
                if (wait_ms < 0 || left < wait_ms)
                    wait_ms = left;
            }
        }
        if (busy == 0 && next >= n)
            break;
        if (busy == 0)
            continue;

        if (poll(fds, np, wait_ms > G_MAXINT ? G_MAXINT : (int)wait_ms) < 0 &&
            errno != EINTR) {
            g_set_error(error, EXTRACT_ERROR, EXTRACT_ERROR_BACKEND,
                        "poll: %s", g_strerror(errno));
            pool->running = FALSE;
            return FALSE;
        }

        now = g_get_monotonic_time();
        for (guint j = 0; j < np; j++) {
            slot_t *s = polled[j];
            g_autofree char *err = NULL;
            io_t io = IO_AGAIN;

            if (fds[j].revents & POLLOUT)
                io = slot_send(s);
            if (io != IO_DEAD &&
                (fds[j].revents & (POLLIN | POLLHUP | POLLERR)))
                io = slot_recv(pool, s, &err);
            if (io == IO_REPLY) {
                slot_done(pool, s, done, rock);
            } else if (io == IO_DEAD) {
                slot_fail(pool, s,
                          err ? g_error_new_literal(EXTRACT_ERROR,
                                                    EXTRACT_ERROR_CRASHED,
                                                    err)
                              : NULL,
                          done, rock);
            } else if (s->deadline > 0 && now >= s->deadline) {
                slot_fail(pool, s, timeout_error(pool), done, rock);
            }
        }
    }
    pool->running = FALSE;
    return TRUE;
}
