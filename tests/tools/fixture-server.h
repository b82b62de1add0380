/* fixture-server.h -- a fault-injecting HTTP server on 127.0.0.1 for the
 * fetcher's suites and the ingest benchmark (libmicrohttpd, one thread per
 * connection, so a stalled transfer never holds up another).
 *
 * Normal resources are the files under the root folder and those set at
 * run time with fx_server_set_file(); each carries a strong ETag (a hash of
 * its bytes) and a Last-Modified date, and a conditional GET that matches
 * gets 304.  Faults are chosen by path prefix, so a test can point any URL
 * at any fault with --mirror; REST below is the rest of the path, and
 * "REST's body" is the resource at /REST if there is one, otherwise a small
 * generated document whose type follows REST's extension (a one-page PDF
 * for .pdf, HTML for .html, text otherwise):
 *
 *   /fault/NNN/REST            status NNN (any 3 digits: 404, 500, 403...)
 *   /fault/503-then-200/REST   503 on the first request to that exact path,
 *                              then 200 with REST's body
 *   /fault/slow/REST           headers, then REST's body 1 byte a second
 *   /fault/stall/REST          headers and half of REST's body, then nothing
 *   /fault/truncated/REST      Content-Length 1000, 100 bytes, then close
 *   /fault/wrong-length/REST   REST's body whole, Content-Length 1000 bytes
 *                              more than that, then close
 *   /fault/two-lengths/REST    Content-Length 20 and Content-Length 5000,
 *                              20 bytes, then close
 *   /fault/redirect-loop/REST  302 to /fault/redirect-loop/a/REST, which
 *                              302s to .../b/REST, which 302s back to .../a
 *   /fault/redirect/N/REST     302 to /fault/redirect/N-1/REST; N = 0 is
 *                              200 with REST's body (N redirects in all)
 *   /fault/redirect-to/URL     302 to URL (percent-encode it in the path)
 *   /fault/pdf-as-html/REST    REST's body (a PDF) labelled text/html
 *   /fault/huge/REST           200, chunked, pseudo-random bytes, no end
 *   /fault/huge-length/REST    200, Content-Length 200 MiB of pseudo-random
 *                              bytes, sent until the client hangs up
 *   /fault/huge-header/REST    200 and one header line of 1 MiB, then close
 *   /fault/reset/REST          the connection is closed, no response
 *   /gzip/REST                 REST's body, gzip-encoded when the request
 *                              sends Accept-Encoding: gzip
 *   /page/DIR                  an HTML page linking every resource under
 *                              /DIR, in turn relative (served again under
 *                              /page/), root-relative and absolute;
 *                              /page/FILE serves /FILE itself
 *
 * Every request is counted per path (the decoded path, query excluded),
 * and the headers of the last request to each path are kept.
 */
#ifndef CTMAP_TESTS_TOOLS_FIXTURE_SERVER_H
#define CTMAP_TESTS_TOOLS_FIXTURE_SERVER_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct fx_server fx_server_t;

/* The length /fault/huge-length/ declares: 200 MiB. */
#define FX_SERVER_HUGE_LENGTH (200u * 1024u * 1024u)

/* Starts a server on 127.0.0.1 on a free port chosen by the kernel.
 * @root: (nullable): folder whose files are served; NULL serves only what
 *        fx_server_set_file() adds.
 * Returns: (transfer full) (nullable): the running server, to stop with
 * fx_server_stop(); NULL with @error set if the socket or thread fails. */
fx_server_t *fx_server_start(const char *root, GError **error);

/* As fx_server_start(), on @port (0 = any free port). */
fx_server_t *fx_server_start_port(const char *root, guint port,
                                  GError **error);

/* Stops the server: stalled and trickling transfers are cut, every
 * connection thread is joined, and @srv is freed.  Accepts NULL. */
void fx_server_stop(fx_server_t *srv);

/* The port the server listens on. */
guint fx_server_port(fx_server_t *srv);

/* Returns: (transfer full): "http://127.0.0.1:PORT" + @path (which starts
 * with '/'); g_free() it. */
char *fx_server_url(fx_server_t *srv, const char *path);

/* Returns: how many requests reached @path (decoded, without the query),
 * whatever their outcome, resets included. */
guint fx_server_hits(fx_server_t *srv, const char *path);

/* Returns: how many requests reached the server in all. */
guint fx_server_total_hits(fx_server_t *srv);

/* Header @name (any case) of the last request to @path.  Returns:
 * (transfer full) (nullable): its value, repeated headers joined by ", ";
 * NULL if there was no such request or header; g_free() it. */
char *fx_server_last_header(fx_server_t *srv, const char *path,
                            const char *name);

/* Adds or replaces the resource at @path (starting with '/'), which then
 * takes precedence over a file of the same path under the root.  @data is
 * copied; @content_type NULL means the type @path's extension gives.  Its
 * Last-Modified is the time of the call; its ETag changes with its bytes.
 * Safe to call while requests are being served. */
void fx_server_set_file(fx_server_t *srv, const char *path,
                        const void *data, gsize len,
                        const char *content_type);

/* Removes the resource set at @path; later requests see the root's file of
 * that path, or 404. */
void fx_server_remove_file(fx_server_t *srv, const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(fx_server_t, fx_server_stop)

G_END_DECLS

#endif /* CTMAP_TESTS_TOOLS_FIXTURE_SERVER_H */
