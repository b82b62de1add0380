/* shards.cc -- an index split into shards (issue 18): the writer that
 * sends each document to the shard its id hashes to, and the reader of a
 * Xapian stub database file that opens each shard by itself, so that a
 * shard that fails is left out of the search instead of failing it.
 *
 * Layout (DIR is what xc_dbw_open_shards() is given):
 *   DIR/query   the query-side database: no documents; spelling data,
 *               synonyms and user metadata (labels, schema, last run,
 *               the documents' render records).
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

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

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

static void render_repair(xc_dbw_t *w);

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
        render_repair(w);
        return XC_OK;
    });
    if (st != XC_OK) {
        xc_dbw_close(w);
        return st;
    }
    *out = w;
    return XC_OK;
}

/* ------------------------------------------------------ Render records */

/* Over remote shards every document read is a round trip (get_document
 * for the record and values, one per term for positions), which made a
 * 10-hit page cost 30 and more of them.  So the writer keeps, in the
 * query-side database (local to searchd), a render record for each
 * document: a Xapian::Document holding its data and values, and in
 * RECORD_SLOT the positions its words have, one a page
 * (record_positions()); and another holding its text (already deflated),
 * read for the passage alone.  Their keys are XC_META_HIT_PREFIX "S:DID"
 * and that + TEXT_SUFFIX, S the shard and DID the document's docid
 * there, which a hit's docid in the stub gives without asking the shard.
 * Docids survive compaction (xc_compact() does not renumber).  Each
 * commit that changed records stamps a new token (XC_META_RENDER), so a
 * reader uses them only for a shard of the same commit. */

/* A slot of the record only, never of an index document. */
static const Xapian::valueno RECORD_SLOT = 0xfffffff0u;

static std::string
record_key(unsigned shard, Xapian::docid did)
{
    return XC_META_HIT_PREFIX + std::to_string(shard) + ":"
           + std::to_string(did);
}

/* XC_SLOT_PAGES parsed as searchd's snippet parses it: decimal numbers,
 * anything else between them skipped. */
static std::vector<unsigned>
page_starts(const std::string &v)
{
    std::vector<unsigned> out;
    for (size_t i = 0; i < v.size();) {
        if (v[i] < '0' || v[i] > '9') {
            i++;
            continue;
        }
        uint64_t n = 0;
        for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; i++)
            n = std::min<uint64_t>(n * 10 + static_cast<unsigned>(v[i] - '0'),
                                   UINT32_MAX);
        out.push_back(static_cast<unsigned>(n));
    }
    return out;
}

/* Whether @slot holds the text (most of a record, needed by the passage
 * alone, so kept under a key of its own: TEXT_SUFFIX). */
static bool
is_text_slot(Xapian::valueno slot)
{
    return slot == XC_SLOT_TEXT || slot >= XC_SLOT_TEXT_MORE;
}

static const char TEXT_SUFFIX[] = ":text";

/* Stores the records of @doc, @did of shard @shard, in @query.
 * RECORD_SLOT: the raw length, then deflate of
 *   {term_len term n_pages {page count}[n_pages]}...
 * all numbers 4 bytes little-endian. */
static void
put_record(Xapian::WritableDatabase &query, unsigned shard,
           Xapian::docid did, const Xapian::Document &doc)
{
    Xapian::Document rec, text;
    rec.set_data(doc.get_data());
    for (auto v = doc.values_begin(); v != doc.values_end(); ++v)
        (is_text_slot(v.get_valueno()) ? text : rec)
            .add_value(v.get_valueno(), *v);
    std::vector<unsigned> starts = page_starts(doc.get_value(XC_SLOT_PAGES));
    if (starts.empty())
        starts.push_back(0);
    std::string blob;
    for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
        std::map<size_t, unsigned> count;      /* page -> positions */
        for (auto p = t.positionlist_begin(); p != t.positionlist_end();
             ++p) {
            /* The last page starting at or before the position. */
            auto at = std::upper_bound(starts.begin(), starts.end(), *p);
            if (at != starts.begin())
                count[static_cast<size_t>(at - starts.begin()) - 1]++;
        }
        if (count.empty())
            continue;
        std::string term = *t;
        put_u32(blob, term.size());
        blob += term;
        put_u32(blob, count.size());
        for (const auto &c : count) {
            put_u32(blob, c.first);
            put_u32(blob, c.second);
        }
    }
    std::string packed;
    put_u32(packed, blob.size());
    packed += deflate_block(blob.data(), blob.size());
    rec.add_value(RECORD_SLOT, packed);
    std::string key = record_key(shard, did);
    query.set_metadata(key, rec.serialise());
    query.set_metadata(key + TEXT_SUFFIX, text.serialise());
}

static void
drop_record(Xapian::WritableDatabase &query, unsigned shard,
            Xapian::docid did)
{
    std::string key = record_key(shard, did);
    query.set_metadata(key, "");
    query.set_metadata(key + TEXT_SUFFIX, "");
}

std::map<std::string, std::vector<unsigned>>
xc_int::record_positions(const Xapian::Document &rec)
{
    std::map<std::string, std::vector<unsigned>> out;
    std::string packed = rec.get_value(RECORD_SLOT);
    if (packed.size() < 4)
        return out;
    std::string blob = inflate_block(packed, 4, get_u32(packed, 0));
    std::vector<unsigned> starts = page_starts(rec.get_value(XC_SLOT_PAGES));
    if (starts.empty())
        starts.push_back(0);
    auto need = [&](size_t at, size_t n) {
        if (n > blob.size() || at > blob.size() - n)
            throw std::runtime_error("render record is damaged");
    };
    for (size_t at = 0; at < blob.size();) {
        need(at, 4);
        size_t len = get_u32(blob, at);
        need(at + 4, len + 4);
        std::vector<unsigned> &pos = out[blob.substr(at + 4, len)];
        at += 4 + len;
        size_t n = get_u32(blob, at);
        at += 4;
        need(at, 8 * n);
        for (size_t k = 0; k < n; k++, at += 8) {
            size_t page = get_u32(blob, at);
            if (page >= starts.size())
                throw std::runtime_error("render record is damaged");
            pos.insert(pos.end(), get_u32(blob, at + 4), starts[page]);
        }
    }
    return out;
}

static unsigned
shard_number(xc_dbw_t *w, Xapian::WritableDatabase &d)
{
    for (size_t i = 0; i < w->shards.size(); i++)
        if (&w->shards[i] == &d)
            return static_cast<unsigned>(i);
    throw std::logic_error("not a shard of the writer");
}

void
xc_int::render_put(xc_dbw_t *w, const std::string &id, Xapian::docid did,
                   const Xapian::Document &doc)
{
    if (w->shards.empty())
        return;
    put_record(w->db, shard_number(w, docs_of(w, id)), did, doc);
    w->render_dirty = true;
}

void
xc_int::render_drop(xc_dbw_t *w, const std::string &id,
                    const std::string &idterm)
{
    if (w->shards.empty())
        return;
    Xapian::WritableDatabase &d = docs_of(w, id);
    for (auto p = d.postlist_begin(idterm); p != d.postlist_end(idterm); ++p)
        drop_record(w->db, shard_number(w, d), *p);
    w->render_dirty = true;
}

/* A new token in every database, so a reader can tell a shard whose
 * records the query-side database holds from one it does not (a commit
 * that reached one and not the other, a shard copied from another run). */
void
xc_int::render_stamp(xc_dbw_t *w)
{
    if (w->shards.empty() || !w->render_dirty)
        return;
    static std::random_device rd;
    std::string token = std::to_string(rd()) + "-" + std::to_string(rd())
                        + "-" + std::to_string(
                            std::chrono::system_clock::now()
                                .time_since_epoch().count());
    w->db.set_metadata(XC_META_RENDER, token);
    for (size_t i = 0; i < w->shards.size(); i++)
        w->shards[i].set_metadata(XC_META_RENDER,
                                  token + "/" + std::to_string(i));
    w->render_dirty = false;
}

/* Brings the records of every shard whose token differs from the
 * query-side database's (a crash between their commits, an index from
 * before records) up to date, from the shard's documents. */
static void
render_repair(xc_dbw_t *w)
{
    std::string token = w->db.get_metadata(XC_META_RENDER);
    for (size_t i = 0; i < w->shards.size(); i++) {
        Xapian::WritableDatabase &d = w->shards[i];
        if (d.get_metadata(XC_META_RENDER)
            == token + "/" + std::to_string(i))
            continue;
        std::string prefix = XC_META_HIT_PREFIX + std::to_string(i) + ":";
        std::vector<std::string> stale;
        for (auto k = w->db.metadata_keys_begin(prefix);
             k != w->db.metadata_keys_end(prefix); ++k)
            stale.push_back(*k);
        for (const std::string &k : stale)
            w->db.set_metadata(k, "");
        for (auto p = d.postlist_begin(""); p != d.postlist_end(""); ++p)
            put_record(w->db, static_cast<unsigned>(i), *p,
                       d.get_document(*p));
        w->render_dirty |= d.get_doccount() > 0 || !stale.empty();
    }
    if (w->render_dirty) {
        render_stamp(w);
        each_db(w, [](Xapian::WritableDatabase &d) { d.commit(); });
    }
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

/* ------------------------------------------------------------- Probing */

/* A shard that hangs (a stopped xapian-tcpsrv: the kernel still accepts
 * connections, nothing answers) costs a timeout on each attempt, so no
 * request waits on it twice: an address that failed is marked down
 * process-wide, searches leave it out without trying it, and one thread
 * of the process tries it in the background every XC_SHARD_RETRY_MS;
 * when it answers, the next search of each handle reconnects to it. */
namespace {
class prober_t {
    std::mutex mu;
    std::condition_variable cv;
    std::set<std::string> down;
    std::thread thread;
    bool stop = false;

    void
    run()
    {
        std::unique_lock<std::mutex> lock(mu);
        while (!stop) {
            cv.wait_for(lock, std::chrono::milliseconds(XC_SHARD_RETRY_MS));
            std::vector<std::string> todo(down.begin(), down.end());
            lock.unlock();
            for (const std::string &addr : todo) {
                bool ok = false;
                try {
                    open_remote(addr);
                    ok = true;
                } catch (...) {
                    /* Still down; tried again next round. */
                }
                if (ok) {
                    std::lock_guard<std::mutex> g(mu);
                    down.erase(addr);
                }
            }
            lock.lock();
        }
    }

  public:
    ~prober_t()
    {
        {
            std::lock_guard<std::mutex> g(mu);
            stop = true;
        }
        cv.notify_all();
        if (thread.joinable())
            thread.join();
    }

    void
    mark_down(const std::string &addr)
    {
        std::lock_guard<std::mutex> g(mu);
        down.insert(addr);
        if (!thread.joinable())
            thread = std::thread(&prober_t::run, this);
    }

    bool
    is_down(const std::string &addr)
    {
        std::lock_guard<std::mutex> g(mu);
        return down.count(addr) > 0;
    }
};

prober_t &
prober()
{
    static prober_t p;
    return p;
}
} /* namespace */

bool
xc_int::shard_is_down(const std::string &addr)
{
    return prober().is_down(addr);
}

void
xc_int::shard_mark_down(const std::string &addr)
{
    prober().mark_down(addr);
}

/* The context Xapian gives the NetworkError of a connection to @addr
 * (net/tcpclient.cc, net/progclient.cc in xapian-core 1.4). */
static std::string
context_of(const std::string &addr)
{
    if (addr[0] == ':')
        return "remote:prog(" + addr.substr(1) + ")";
    return "remote:tcp(" + addr + ")";
}

/* The shard number of @s's render records in @query, or -1 when its
 * token is not the query-side database's (one round trip). */
static int
render_of_shard(xc_shard &s, const Xapian::Database &query)
{
    std::string token = query.size() ? query.get_metadata(XC_META_RENDER)
                                     : std::string();
    if (!s.remote || token.empty())
        return -1;
    std::string mine = s.db.get_metadata(XC_META_RENDER);
    size_t slash = mine.rfind('/');
    if (slash == std::string::npos || mine.compare(0, slash, token) != 0
        || slash + 1 == mine.size())
        return -1;
    try {
        return std::stoi(mine.substr(slash + 1));
    } catch (const std::exception &) {
        return -1;
    }
}

/* Opens @s; a remote shard that cannot be reached is left down (not an
 * error: the search goes on without it).  A local one that cannot be
 * opened is an error, as a single index would be. */
static void
open_shard(xc_shard &s, const Xapian::Database &query)
{
    s.last_try = std::chrono::steady_clock::now();
    s.up = false;
    if (!s.remote) {
        s.db = Xapian::Database(s.arg);
        s.up = true;
        return;
    }
    /* The replicas in turn, from the one in use: the first that answers
     * serves the shard.  Those known to be down are not tried: the
     * prober tells when they answer again. */
    size_t n = s.replicas.size();
    for (size_t k = 0; k < n && !s.up; k++) {
        size_t i = (s.current + k) % n;
        if (prober().is_down(s.replicas[i]))
            continue;
        try {
            s.db = open_remote(s.replicas[i]);
            s.render = render_of_shard(s, query);
            s.current = i;
            s.arg = s.replicas[i];
            s.up = true;
        } catch (const Xapian::Error &) {
            s.db = Xapian::Database();
            prober().mark_down(s.replicas[i]);
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
    /* Sub-database 0 is the query-side one; then the shards that are up,
     * in order. */
    db->render_of.assign(1, -1);
    bool any = false;
    for (auto &s : db->shards)
        if (s.up) {
            db->render_of.push_back(s.render);
            any |= s.render >= 0;
        }
    if (!any)
        db->render_of.clear();
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
            open_shard(s, db->query);
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
        std::string uuid = db->query.get_uuid();
        /* A change there may change the render records (restamp). */
        changed |= reopen_path(db->query, db->query_path);
        swapped |= db->query.get_uuid() != uuid;
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
    bool changed = false;
    for (auto &s : db->shards) {
        if (!s.remote)
            continue;
        /* The address in use down for another handle of the process: left
         * (for another replica, if one answers) before this search waits
         * on it too. */
        if (s.up && !prober().is_down(s.arg))
            continue;
        bool was_up = s.up;
        open_shard(s, db->query);
        if (!s.up)
            s.db = Xapian::Database();
        changed |= s.up || was_up;
    }
    if (changed)
        combine(db, db->query);
}

/* A match that failed on one shard leaves the others' connections in the
 * middle of the protocol (replies sent, never read), so probing them
 * would fail too: every remote shard gets a fresh connection, and those
 * that cannot be reached within the timeout are left out.  The shard
 * that failed, when @context names it (Xapian::Error::get_context()),
 * is marked down without trying it again: a hung one would cost another
 * timeout. */
bool
xc_int::shards_drop_failed(xc_db_t *db, const std::string &context)
{
    bool remote = false;
    for (auto &s : db->shards)
        if (s.remote && s.up && context == context_of(s.arg))
            prober().mark_down(s.arg);
    for (auto &s : db->shards) {
        if (!s.remote)
            continue;
        remote = true;
        open_shard(s, db->query);
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

int
xc_db_shard_records(const xc_db_t *db, unsigned i)
{
    return db && i < db->shards.size() && db->shards[i].up
           && db->shards[i].render >= 0;
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

void
xc_int::shards_restamp(xc_db_t *db)
{
    bool lost = false;
    for (auto &s : db->shards) {
        if (!s.up || !s.remote)
            continue;
        try {
            s.render = render_of_shard(s, db->query);
        } catch (const Xapian::NetworkError &) {
            lost = true;
        }
    }
    if (lost)
        shards_drop_failed(db, "");
    else
        combine(db, db->query);
}

/* A hit's docid in the stub names its sub-database and its docid there:
 * Xapian interleaves them, docid d being (d - 1) / k + 1 of sub-database
 * (d - 1) % k of k. */
/* The record of hit @i under @key + @suffix, cached in @cache. */
static const Xapian::Document *
record_under(xc_mset_t *m, size_t i, const char *suffix,
             std::map<size_t, std::shared_ptr<Xapian::Document>> &cache)
{
    if (m->render_of.empty())
        return nullptr;
    auto cached = cache.find(i);
    if (cached != cache.end())
        return cached->second.get();
    std::shared_ptr<Xapian::Document> rec;
    Xapian::docid did = *m->mset[static_cast<Xapian::doccount>(i)];
    size_t k = m->render_of.size();
    int shard = m->render_of[(did - 1) % k];
    if (shard >= 0) {
        std::string v = m->query_db.get_metadata(
            record_key(static_cast<unsigned>(shard),
                       static_cast<Xapian::docid>((did - 1) / k + 1))
            + suffix);
        if (!v.empty())
            rec = std::make_shared<Xapian::Document>(
                Xapian::Document::unserialise(v));
    }
    cache[i] = rec;
    return rec.get();
}

const Xapian::Document *
xc_int::record_of(xc_mset_t *m, size_t i, unsigned slot)
{
    if (slot != Xapian::BAD_VALUENO && is_text_slot(slot))
        return record_under(m, i, TEXT_SUFFIX, m->texts);
    return record_under(m, i, "", m->records);
}
