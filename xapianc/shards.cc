/* shards.cc -- an index split into shards (issue 18): the writer that
 * sends each document to the shard its id hashes to, and the reader of a
 * Xapian stub database file that opens each shard by itself, so that a
 * shard that fails is left out of the search instead of failing it.
 *
 * Layout (DIR is what xc_dbw_open_shards() is given):
 *   DIR/query   the query-side database: no documents; spelling data,
 *               synonyms and user metadata (labels, schema, last run).
 *               Remote shards cannot serve spelling or synonyms, and
 *               metadata comes from the first database only, so this one
 *               is always local and always first.
 *   DIR/0..N-1  the shards, holding the documents.
 * The reader combines the query-side database (first) with the shards a
 * stub names: "auto PATH" (relative to the stub's directory), "remote
 * HOST:PORT" (xapian-tcpsrv) or "remote :PROGRAM ARGS" (xapian-progsrv,
 * e.g. over ssh); "#" starts a comment.  ctmap's one extension: "remote
 * HOST:PORT HOST2:PORT2 ..." names replicas of one shard, used in turn
 * when the one in use stops answering (Xapian's own tools read only the
 * first form).
 */
#include "xapianc-int.hh"

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

using namespace xc_int;

/* A remote shard that does not answer within this long is left out of the
 * search (and of the ones after, until it reconnects). */
#define XC_SHARD_TIMEOUT_MS 2000
/* How often a shard that is down is tried again. */
#define XC_SHARD_RETRY_MS 1000

/* ------------------------------------------------------------- Writing */

/* FNV-1a, 32 bits: written out here because the shard of an id must never
 * change between runs, compilers or machines (std::hash promises none of
 * that), or re-runs would duplicate documents across shards. */
static unsigned
shard_of(const std::string &id, size_t n)
{
    uint32_t h = 2166136261u;
    for (unsigned char c : id) {
        h ^= c;
        h *= 16777619u;
    }
    return static_cast<unsigned>(h % n);
}

Xapian::WritableDatabase &
xc_int::docs_of(xc_dbw_t *w, const std::string &id)
{
    if (w->shards.empty())
        return w->db;
    return w->shards[shard_of(id, w->shards.size())];
}

Xapian::doccount
xc_int::doc_count(xc_dbw_t *w)
{
    Xapian::doccount n = w->db.get_doccount();
    for (auto &s : w->shards)
        n += s.get_doccount();
    return n;
}

xc_status_t
xc_dbw_open_shards(const char *dir, unsigned n, int create, xc_dbw_t **out,
                   char **errmsg)
{
    if (errmsg)
        *errmsg = nullptr;
    if (!out || !dir || n < 1) {
        set_errmsg(errmsg, "xc_dbw_open_shards: NULL argument or no shard");
        return XC_ERR_INVALID;
    }
    std::string query = std::string(dir) + "/query";
    xc_dbw_t *w = nullptr;
    xc_status_t st = xc_dbw_open(query.c_str(), create, &w, errmsg);
    if (st != XC_OK)
        return st;
    st = guard_open(errmsg, [&]() -> xc_status_t {
        for (unsigned i = 0; i < n; i++)
            w->shards.emplace_back(
                std::string(dir) + "/" + std::to_string(i),
                create ? Xapian::DB_CREATE_OR_OPEN : Xapian::DB_OPEN);
        return XC_OK;
    });
    if (st != XC_OK) {
        xc_dbw_close(w);
        return st;
    }
    *out = w;
    return XC_OK;
}

/* ------------------------------------------------------------- Reading */

static std::string
dir_of(const std::string &path)
{
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

/* A connection to "HOST:PORT" (xapian-tcpsrv) or ":PROGRAM ARGS"
 * (xapian-progsrv through PROGRAM, e.g. ssh). */
static Xapian::Database
open_remote(const std::string &addr)
{
    if (addr[0] == ':') {
        std::string rest = addr.substr(1);
        size_t sp = rest.find(' ');
        std::string prog = rest.substr(0, sp);
        std::string args = sp == std::string::npos ? "" : rest.substr(sp + 1);
        return Xapian::Remote::open(prog, args, XC_SHARD_TIMEOUT_MS);
    }
    size_t colon = addr.rfind(':');
    if (colon == std::string::npos || colon + 1 == addr.size())
        throw Xapian::DatabaseOpeningError("remote shard without a port: "
                                           + addr);
    return Xapian::Remote::open(
        addr.substr(0, colon),
        static_cast<unsigned>(std::stoul(addr.substr(colon + 1))),
        XC_SHARD_TIMEOUT_MS, XC_SHARD_TIMEOUT_MS);
}

/* Opens @s; a remote shard that cannot be reached is left down (not an
 * error: the search goes on without it).  A local one that cannot be
 * opened is an error, as a single index would be. */
static void
open_shard(xc_shard &s)
{
    s.last_try = std::chrono::steady_clock::now();
    s.up = false;
    if (!s.remote) {
        s.db = Xapian::Database(s.arg);
        s.up = true;
        return;
    }
    /* The replicas in turn, from the one in use: the first that answers
     * serves the shard. */
    size_t n = s.replicas.size();
    for (size_t k = 0; k < n && !s.up; k++) {
        size_t i = (s.current + k) % n;
        try {
            s.db = open_remote(s.replicas[i]);
            s.current = i;
            s.arg = s.replicas[i];
            s.up = true;
        } catch (const Xapian::NetworkError &) {
            s.db = Xapian::Database();
        }
    }
}

/* Rebuilds the searched database from the query-side one and the shards
 * that are up.  Docids change with the set of shards, so the facet
 * columns cached for the old set go. */
static void
combine(xc_db_t *db, const Xapian::Database &query)
{
    Xapian::Database all;
    all.add_database(query);
    db->failed = 0;
    db->remote_up = 0;
    for (auto &s : db->shards) {
        if (s.up) {
            all.add_database(s.db);
            db->remote_up += s.remote;
        } else {
            db->failed++;
        }
    }
    db->db = all;
    db->columns.clear();
    /* The parser holds the database (spelling, synonyms, year ranges):
     * the next query builds one over the new set. */
    db->parser.reset();
}

xc_status_t
xc_db_open_stub(const char *stub, const char *query, xc_db_t **out,
                char **errmsg)
{
    if (errmsg)
        *errmsg = nullptr;
    if (!out || !stub) {
        set_errmsg(errmsg, "xc_db_open_stub: NULL argument");
        return XC_ERR_INVALID;
    }
    *out = nullptr;
    return guard_open(errmsg, [&]() -> xc_status_t {
        std::ifstream in(stub);
        if (!in)
            throw Xapian::DatabaseNotFoundError(
                std::string("cannot read stub ") + stub);
        std::unique_ptr<xc_db_t> db(new xc_db_t());
        init_read_handle(db.get());
        std::string dir = dir_of(stub), line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#')
                continue;
            std::istringstream words(line);
            xc_shard s;
            words >> s.type;
            std::getline(words >> std::ws, s.arg);
            if (s.type == "auto" || s.type == "glass") {
                if (s.arg.empty())
                    throw Xapian::DatabaseOpeningError(
                        "stub " + std::string(stub) + ": no path: " + line);
                if (s.arg[0] != '/')
                    s.arg = dir + "/" + s.arg;
            } else if (s.type == "remote" && !s.arg.empty()) {
                s.remote = true;
                if (s.arg[0] == ':') {
                    s.replicas.push_back(s.arg);
                } else {
                    /* ctmap's extension: more addresses on the line are
                     * replicas of the same shard. */
                    std::istringstream addrs(s.arg);
                    std::string a;
                    while (addrs >> a)
                        s.replicas.push_back(a);
                    s.arg = s.replicas[0];
                }

            } else {
                throw Xapian::DatabaseOpeningError(
                    "stub " + std::string(stub) + ": cannot read line: "
                    + line);
            }
            db->shards.push_back(s);
        }
        if (db->shards.empty())
            throw Xapian::DatabaseOpeningError("stub " + std::string(stub)
                                               + " names no shard");
        db->query_path = query && *query ? query : "";
        db->query = query && *query ? Xapian::Database(query)
                                    : Xapian::Database();
        for (auto &s : db->shards)
            open_shard(s);
        combine(db.get(), db->query);
        *out = db.release();
        return XC_OK;
    });
}

/* @held brought up to the database now at @path.  A replica made by
 * xapian-replicate is a stub directory that switches to a new copy
 * (replica_1 -> replica_2) on a full update, and the indexer's --full
 * swaps in a new database: Database::reopen() follows neither, so the
 * path is opened again and replaces @held when it names another
 * database or revision. */
static bool
reopen_path(Xapian::Database &held, const std::string &path)
{
    Xapian::Database now(path);
    if (held.size() && now.get_uuid() == held.get_uuid()) {
        bool changed = held.reopen();
        return changed;
    }
    held = now;
    return true;
}

bool
xc_int::shards_reopen_local(xc_db_t *db)
{
    bool changed = false, swapped = false;
    if (!db->query_path.empty()) {
        Xapian::Database before = db->query;
        swapped |= reopen_path(db->query, db->query_path)
                   && db->query.get_uuid() != before.get_uuid();
    }
    for (auto &s : db->shards) {
        if (s.remote)
            continue;
        std::string uuid = s.db.get_uuid();
        changed |= reopen_path(s.db, s.arg);
        swapped |= s.db.get_uuid() != uuid;
    }
    if (swapped)
        combine(db, db->query);
    return changed || swapped;
}

void
xc_int::shards_retry(xc_db_t *db)
{
    if (!db->failed)
        return;
    auto now = std::chrono::steady_clock::now();
    bool changed = false;
    for (auto &s : db->shards) {
        if (s.up || now - s.last_try
                        < std::chrono::milliseconds(XC_SHARD_RETRY_MS))
            continue;
        try {
            open_shard(s);
        } catch (const Xapian::Error &) {
            s.up = false;
        }
        changed |= s.up;
    }
    if (changed)
        combine(db, db->query);
}

/* A match that failed on one shard leaves the others' connections in the
 * middle of the protocol (replies sent, never read), so probing them
 * would fail too: every remote shard gets a fresh connection, and those
 * that cannot be reached within the timeout are left out. */
bool
xc_int::shards_drop_failed(xc_db_t *db)
{
    bool remote = false;
    for (auto &s : db->shards) {
        if (!s.remote)
            continue;
        remote = true;
        try {
            open_shard(s);
        } catch (const Xapian::Error &) {
            s.up = false;
        }
        if (!s.up)
            s.db = Xapian::Database();
    }
    if (remote)
        combine(db, db->query);
    return remote;
}

void
xc_db_shards(const xc_db_t *db, unsigned *total, unsigned *failed)
{
    if (total)
        *total = db ? static_cast<unsigned>(db->shards.size()) : 0;
    if (failed)
        *failed = db ? db->failed : 0;
}

void
xc_mset_shards(const xc_mset_t *m, unsigned *total, unsigned *failed)
{
    if (total)
        *total = m ? m->shards : 0;
    if (failed)
        *failed = m ? m->failed : 0;
}

xc_status_t
xc_db_shard(const xc_db_t *db, unsigned i, const char **where, int *up)
{
    if (!db || i >= db->shards.size())
        return XC_ERR_INVALID;
    if (where)
        *where = db->shards[i].arg.c_str();
    if (up)
        *up = db->shards[i].up;
    return XC_OK;
}
