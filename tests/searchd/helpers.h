/* helpers.h -- fixtures of the searchd suite: a small real index, the
 * real daemon on a temporary socket, HTTP over that socket. */
#ifndef CTMAP_TESTS_SEARCHD_HELPERS_H
#define CTMAP_TESTS_SEARCHD_HELPERS_H

#include <sys/types.h>

#include <json-glib/json-glib.h>

/* One document as the indexer writes it (indexer/writer.c). */
typedef struct {
    const char *id;
    const char *type;           /* "entry" or "document" */
    const char *title;
    const char *url;            /* NULL for entries */
    const char *org[3];
    const char *org_label[3];
    const char *theme[3];
    const char *country[3];
    const char *year[3];
    const char *kind;
    const char *section;        /* "D" */
    const char *lang;
    const char *status;
    int pages;
    const char *passages[4];    /* the text, one element per page */
} fx_doc_t;

/* The standard corpus: five documents, see helpers.c. */
extern const fx_doc_t fx_corpus[];
extern const size_t fx_corpus_len;

typedef struct {
    char *dir;                  /* temporary directory */
    char *index;                /* DIR/index */
    char *sock;                 /* DIR/searchd.sock */
    char *log;                  /* DIR/searchd.log: the daemon's stderr */
    pid_t pid;                  /* the daemon, or 0 */
} fx_t;

/* Per test process (Criterion forks each test). */
extern fx_t fx;

/* Creates the temporary directory and the paths. */
void fx_init(void);
/* Stops the daemon (SIGTERM, then SIGKILL after a deadline) and removes
 * the directory. */
void fx_fini(void);
/* Sends SIGTERM to the daemon and returns its exit status (-1 when it
 * did not exit in time, and was killed). */
int fx_stop(void);
/* Writes @docs (one commit) into the index at fx.index, creating it. */
void fx_index(const fx_doc_t *docs, size_t n);
/* Indexes the embedded mapping into fx.index with the real
 * ctmap-indexer (offline: cited links are not fetched). */
void fx_index_mapping(void);
/* Stores the labels metadata {"@field": {"@slug": "@label"}} (one
 * commit). */
void fx_label(const char *field, const char *slug, const char *label);
/* Starts ctmap-searchd on fx.sock with @extra arguments (NULL-terminated,
 * may be NULL) and waits until /health answers (with any status). */
void fx_start(const char *const *extra);
/* Starts @argv (NULL-terminated; argv[0] looked up in $PATH) with its
 * stderr in fx.log, as fx.pid, which fx_stop() stops; returns the pid. */
pid_t fx_spawn(const char *const *argv);
/* Runs ctmap-searchd with @argv (NULL-terminated) to completion and
 * returns its exit status; *@err receives its stderr. */
int fx_run(const char *const *argv, char **out, char **err);
/* Waits at most @ms for @pid to exit; returns its exit status, or -1. */
int fx_wait(pid_t pid, int ms);

typedef struct {
    long status;
    char *body;
    char *content_type;
    char *allow;
    JsonNode *json;             /* parsed body, or NULL */
} fx_http_t;

/* Sends @method @target over the Unix socket @sock (or, when @sock is
 * NULL, to the full URL @target).  Returns FALSE when the daemon cannot
 * be reached. */
int fx_http(const char *sock, const char *method, const char *target,
            fx_http_t *out);
void fx_http_clear(fx_http_t *r);
/* GET @target on fx.sock, asserting the daemon answered. */
void fx_get(const char *target, fx_http_t *out);
/* GET @target, asserting a 200.  Returns: (transfer none): the reply's
 * JSON object, owned by @out. */
JsonObject *fx_get_ok(const char *target, fx_http_t *out);
/* Asserts that @o's member @name is the string @want. */
void fx_assert_str_member(JsonObject *o, const char *name,
                          const char *want);

/* Polls GET @query until its "total" is @total, for at most @ms;
 * returns whether it got there. */
gboolean fx_wait_total(const char *query, gint64 total, int ms);

/* Raw connections to fx.sock, for what curl will not send: a request
 * that stops half-way, a megabyte of request line, many at once. */
int fx_raw_connect(void);
/* Sends all of @data; FALSE when the daemon closed the connection. */
gboolean fx_raw_send(int fd, const char *data, size_t len);
/* Returns: (transfer full): what arrives within @ms, up to the end of
 * one reply; *@closed (may be NULL) says whether the daemon closed. */
char *fx_raw_read(int fd, int ms, gboolean *closed);
/* Sends @request on a new raw connection and returns the reply read
 * within 10 s (transfer full); *@status gets its code. */
char *fx_raw_exchange(const char *request, long *status);
/* Opens @n raw connections into @fds, each holding the unfinished
 * request @line; fx_raw_close_all() closes them. */
void fx_raw_hold(int *fds, size_t n, const char *line);
void fx_raw_close_all(int *fds, size_t n);
/* Polls GET /health every 50 ms until it answers @status, for at most
 * 3 s; @out holds the last reply (the caller clears it). */
void fx_poll_health(long status, fx_http_t *out);
/* A free loopback port, found by binding to port 0 and letting it go. */
unsigned fx_free_port(void);
/* Asserts GET /health answers 200. */
void fx_assert_health(void);
/* Asserts GET @target answers @status (the body in the message). */
void fx_expect_status(const char *target, long status);
/* Returns: the status of the raw HTTP reply @reply, 0 if none. */
long fx_raw_status(const char *reply);

/* JSON accessors for assertions. */
JsonObject *fx_obj(JsonNode *node);
JsonObject *fx_member_obj(JsonObject *o, const char *name);
JsonArray *fx_member_arr(JsonObject *o, const char *name);
/* Returns the id of hit @i of a /search reply. */
const char *fx_hit_id(fx_http_t *r, guint i);
JsonObject *fx_hit(fx_http_t *r, guint i);

#endif /* CTMAP_TESTS_SEARCHD_HELPERS_H */
