/* db.cc -- the read handle: opening, reopening and looking documents,
 * metadata, spellings and terms up. */
#include "xapianc-int.hh"
#include "lemma.hh"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

using namespace xc_int;

/* ---------------------------------------------------- Read API, shared */

/* The read and the write handle answer these alike; @fn names the
 * exported function in argument errors. */
xc_status_t
xc_int::revision_of(Xapian::Database &xdb, std::string &err, const char *fn,
                    uint64_t *revision)
{
    if (!revision)
        return invalid(err, (std::string(fn) + ": NULL revision").c_str());
    return guard(err, [&]() -> xc_status_t {
        *revision = xdb.get_revision();
        return XC_OK;
    });
}

/* Finds the document whose id term is "Q" + @id, or returns false. */
static bool
find_doc(const Xapian::Database &db, const char *id, Xapian::Document *doc)
{
    std::string term = hash_term(XC_PREFIX_ID + std::string(id));
    Xapian::PostingIterator p = db.postlist_begin(term);
    if (p == db.postlist_end(term))
        return false;
    *doc = db.get_document(*p);
    return true;
}

/* Looks @id up for the two functions below: XC_ERR_NOT_FOUND, with the
 * message, when there is no such document. */
static xc_status_t
doc_of(const Xapian::Database &xdb, std::string &err, const char *id,
       Xapian::Document *doc)
{
    if (find_doc(xdb, id, doc))
        return XC_OK;
    err = std::string("no document with id ") + id;
    return XC_ERR_NOT_FOUND;
}

xc_status_t
xc_int::data_of(Xapian::Database &xdb, std::string &err, const char *fn,
                const char *id, char **data)
{
    if (!id || !data)
        return invalid(err, (std::string(fn) + ": NULL argument").c_str());
    *data = nullptr;
    return guard(err, [&]() -> xc_status_t {
        Xapian::Document doc;
        xc_status_t st = doc_of(xdb, err, id, &doc);
        if (st == XC_OK)
            *data = dup_bytes(doc.get_data());
        return st;
    });
}

/* A writer asks for the stored content hash, a reader for the text. */
xc_status_t
xc_int::value_of(Xapian::Database &xdb, std::string &err, const char *fn,
                 const char *id, unsigned slot, char **value, size_t *len)
{
    if (!id || !value)
        return invalid(err, (std::string(fn) + ": NULL argument").c_str());
    *value = nullptr;
    return guard(err, [&]() -> xc_status_t {
        Xapian::Document doc;
        xc_status_t st = doc_of(xdb, err, id, &doc);
        if (st != XC_OK)
            return st;
        std::string v = read_value(doc, slot);
        *value = dup_bytes(v);
        if (len)
            *len = v.size();
        return XC_OK;
    });
}

xc_status_t
xc_int::metadata_of(Xapian::Database &xdb, std::string &err, const char *fn,
                    const char *key, char **value)
{
    if (!key || !*key || !value)
        return invalid(err,
                       (std::string(fn) + ": NULL or empty key").c_str());
    *value = nullptr;
    return guard(err, [&]() -> xc_status_t {
        *value = dup_bytes(xdb.get_metadata(key));
        return XC_OK;
    });
}

/* ---------------------------------------------------------------- Reading */

void
xc_int::init_read_handle(xc_db_t *db)
{
    db->stem = make_stem();
    db->light_stem = make_light_stem();
    /* The dictionaries load here, once a process (a third of a second),
     * rather than in the first query. */
    lemma::available();
}

xc_status_t
xc_db_open(const char *path, xc_db_t **out, char **errmsg)
{
    if (errmsg)
        *errmsg = nullptr;
    if (!out || !path) {
        set_errmsg(errmsg, "xc_db_open: NULL argument");
        return XC_ERR_INVALID;
    }
    *out = nullptr;
    return guard_open(errmsg, [&]() -> xc_status_t {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            /* A stub file: DIR/index with DIR/shards/query beside it. */
            std::string p(path);
            size_t slash = p.rfind('/');
            std::string query =
                (slash == std::string::npos ? "." : p.substr(0, slash))
                + "/shards/query";
            struct stat qst;
            bool have = stat(query.c_str(), &qst) == 0;
            char *msg = nullptr;
            xc_status_t rc = xc_db_open_stub(path, have ? query.c_str()
                                                        : nullptr,
                                             out, &msg);
            if (rc != XC_OK)
                throw Xapian::DatabaseOpeningError(msg ? msg : "stub");
            free(msg);
            return XC_OK;
        }
        std::unique_ptr<xc_db_t> db(new xc_db_t());
        db->db = Xapian::Database(path);
        init_read_handle(db.get());
        *out = db.release();
        return XC_OK;
    });
}

void
xc_db_close(xc_db_t *db)
{
    /* The destructor closes the database and cannot throw. */
    delete db;
}

const char *
xc_errmsg(const xc_db_t *db)
{
    return db ? db->err.c_str() : "";
}

xc_status_t
xc_db_reopen(xc_db_t *db)
{
    return guard_on(db, [&]() -> xc_status_t {
        if (db->shards.empty()) {
            db->db.reopen();
            return XC_OK;
        }
        /* A shard that fails to reopen is left out, not an error. */
        bool changed = shards_reopen_local(db), lost = false;
        for (auto &s : db->shards) {
            /* One known to be down (hung) would cost a timeout here. */
            if (!s.up || !s.remote || shard_is_down(s.arg))
                continue;
            try {
                /* A remote reopen() says true whether or not the shard
                 * changed (xapian-core 1.4): its revision tells. */
                uint64_t before = s.db.get_revision();
                s.db.reopen();
                changed |= s.db.get_revision() != before;
            } catch (const Xapian::NetworkError &) {
                shard_mark_down(s.arg);
                lost = true;
            }
        }
        if (lost)
            shards_drop_failed(db, "");
        else if (changed)
            shards_restamp(db);     /* render records may have changed */
        shards_retry(db);
        return XC_OK;
    });
}

xc_status_t
xc_db_revision(xc_db_t *db, uint64_t *revision)
{
    if (!db)
        return XC_ERR_INVALID;
    if (db->shards.empty() || !revision)
        return revision_of(db->db, db->err, __func__, revision);
    /* A stub: the sum of its databases' revisions, which grows whenever
     * one of them does (a shard left out counts 0 meanwhile). */
    return guard(db->err, [&]() -> xc_status_t {
        uint64_t sum = db->query.size() ? db->query.get_revision() : 0;
        for (auto &s : db->shards) {
            if (!s.up)
                continue;
            try {
                sum += s.db.get_revision();
            } catch (const Xapian::Error &) {
                /* Remote revisions are not always available. */
            }
        }
        *revision = sum;
        return XC_OK;
    });
}

xc_status_t
xc_db_doccount(xc_db_t *db, uint64_t *count)
{
    return guard_on(db, [&]() -> xc_status_t {
        if (!count)
            return invalid(db->err, "xc_db_doccount: NULL count");
        *count = db->db.get_doccount();
        return XC_OK;
    });
}

xc_status_t
xc_db_termfreq(xc_db_t *db, const char *term, uint64_t *count)
{
    return guard_on(db, [&]() -> xc_status_t {
        if (!term || !count)
            return invalid(db->err, "xc_db_termfreq: NULL argument");
        *count = db->db.get_termfreq(hash_term(term));
        return XC_OK;
    });
}

xc_status_t
xc_db_get_data(xc_db_t *db, const char *id, char **data)
{
    if (!db)
        return XC_ERR_INVALID;
    return data_of(db->db, db->err, __func__, id, data);
}

xc_status_t
xc_db_get_value(xc_db_t *db, const char *id, unsigned slot, char **value,
                size_t *len)
{
    if (!db)
        return XC_ERR_INVALID;
    return value_of(db->db, db->err, __func__, id, slot, value, len);
}

xc_status_t
xc_db_get_metadata(xc_db_t *db, const char *key, char **value)
{
    if (!db)
        return XC_ERR_INVALID;
    return metadata_of(db->db, db->err, __func__, key, value);
}

/* True when a document holds @w (lower-case) or its stem, or it is a
 * synonym key -- or, for a Russian word, when hunspell-ru accepts it: the
 * mapping is English, so a correct Russian word the glossary does not
 * hold ("контроля" of "пограничного контроля", a multi-word key) must
 * still not be "corrected" into another case form. */
static bool
word_known(const Xapian::Database &db, const std::string &w)
{
    std::string z = "Z" + make_stem()(w);
    return db.term_exists(w) || db.term_exists(z)
           || db.synonyms_begin(w) != db.synonyms_end(w)
           || db.synonyms_begin(z) != db.synonyms_end(z)
           || (lemma::is_cyrillic(w) && lemma::spelled(w));
}

/* A Latin word the index does not know takes hunspell's first correction
 * that the index knows (hunspell orders by edit distance, then keyboard
 * and phonetic closeness: "trafiking" -> "trafficking", where the spelling
 * data's most frequent word at distance 2 is "training"), else Xapian's
 * spelling data.  A
 * Cyrillic word takes the spelling data first -- it holds the glossary's
 * Russian terms, the words a query over this corpus means (better on the
 * tuning half of tests/relevance/ than hunspell-ru first) -- then
 * hunspell.  Spelling data is recorded lower-cased, so @word is
 * lower-cased first. */
xc_status_t
xc_db_spell(xc_db_t *db, const char *word, char **out)
{
    return guard_on(db, [&]() -> xc_status_t {
        if (!word || !out)
            return invalid(db->err, "xc_db_spell: NULL argument");
        *out = nullptr;
        std::string w = lower(word);
        std::string spelt;
        if (lemma::is_cyrillic(w))
            spelt = db->db.get_spelling_suggestion(w);
        if (spelt.empty() && !word_known(db->db, w)) {
            for (const auto &s : lemma::suggest(w)) {
                if (word_known(db->db, s)) {
                    spelt = s;
                    break;
                }
            }
        }
        if (spelt.empty())
            spelt = db->db.get_spelling_suggestion(w);
        *out = dup_bytes(spelt);
        return XC_OK;
    });
}

xc_status_t
xc_db_word_known(xc_db_t *db, const char *word, int *known)
{
    return guard_on(db, [&]() -> xc_status_t {
        if (!word || !known)
            return invalid(db->err, "xc_db_word_known: NULL argument");
        *known = 0;
        *known = word_known(db->db, lower(word));
        return XC_OK;
    });
}

/* A @max of 0 means no limit. */
xc_status_t
xc_db_allterms(xc_db_t *db, const char *prefix, size_t max, xc_term_cb cb,
               void *rock)
{
    return guard_on(db, [&]() -> xc_status_t {
        if (!cb)
            return invalid(db->err, "xc_db_allterms: NULL callback");
        std::string p = prefix ? prefix : "";
        size_t n = 0;
        for (auto t = db->db.allterms_begin(p); t != db->db.allterms_end(p);
             ++t) {
            if (max && n++ >= max)
                break;
            std::string term = *t;
            if (cb(term.c_str(), t.get_termfreq(), rock))
                break;
        }
        return XC_OK;
    });
}
