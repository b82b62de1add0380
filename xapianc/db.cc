/* db.cc -- the read handle: opening, reopening and looking documents,
 * metadata, spellings and terms up. */
#include "xapianc-int.hh"

#include <algorithm>
#include <memory>

using namespace xc_int;

/* ---------------------------------------------------------------- Reading */

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
    std::string err;
    try {
        std::unique_ptr<xc_db_t> db(new xc_db_t());
        db->db = Xapian::Database(path);
        *out = db.release();
        return XC_OK;
    } catch (...) {
        xc_status_t st = xc__fail(err, std::current_exception());
        set_errmsg(errmsg, err);
        return st;
    }
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
    if (!db)
        return XC_ERR_INVALID;
    try {
        db->db.reopen();
        return XC_OK;
    } catch (...) {
        return xc__fail(db->err, std::current_exception());
    }
}

xc_status_t
xc_db_revision(xc_db_t *db, uint64_t *revision)
{
    if (!db)
        return XC_ERR_INVALID;
    if (!revision)
        return invalid(db->err, "xc_db_revision: NULL revision");
    try {
        *revision = db->db.get_revision();
        return XC_OK;
    } catch (...) {
        return xc__fail(db->err, std::current_exception());
    }
}

xc_status_t
xc_db_doccount(xc_db_t *db, uint64_t *count)
{
    if (!db)
        return XC_ERR_INVALID;
    if (!count)
        return invalid(db->err, "xc_db_doccount: NULL count");
    try {
        *count = db->db.get_doccount();
        return XC_OK;
    } catch (...) {
        return xc__fail(db->err, std::current_exception());
    }
}

xc_status_t
xc_db_termfreq(xc_db_t *db, const char *term, uint64_t *count)
{
    if (!db)
        return XC_ERR_INVALID;
    if (!term || !count)
        return invalid(db->err, "xc_db_termfreq: NULL argument");
    try {
        *count = db->db.get_termfreq(hash_term(term));
        return XC_OK;
    } catch (...) {
        return xc__fail(db->err, std::current_exception());
    }
}

/* Finds the document whose id term is "Q" + @id, or returns false. */
bool
xc_int::find_doc(const Xapian::Database &db, const char *id,
                 Xapian::Document *doc)
{
    std::string term = hash_term(XC_PREFIX_ID + std::string(id));
    Xapian::PostingIterator p = db.postlist_begin(term);
    if (p == db.postlist_end(term))
        return false;
    *doc = db.get_document(*p);
    return true;
}

xc_status_t
xc_db_get_data(xc_db_t *db, const char *id, char **data)
{
    if (!db)
        return XC_ERR_INVALID;
    if (!id || !data)
        return invalid(db->err, "xc_db_get_data: NULL argument");
    *data = nullptr;
    try {
        Xapian::Document doc;
        if (!find_doc(db->db, id, &doc)) {
            db->err = std::string("no document with id ") + id;
            return XC_ERR_NOT_FOUND;
        }
        *data = dup_bytes(doc.get_data());
        return XC_OK;
    } catch (...) {
        return xc__fail(db->err, std::current_exception());
    }
}

/* Shared by the read and the write handle: a writer asks for the stored
 * content hash, a reader for the text. */
xc_status_t
xc_int::get_value_of(Xapian::Database &xdb, std::string &err, const char *id,
             unsigned slot, char **value, size_t *len)
{
    if (!id || !value)
        return invalid(err, "get_value: NULL argument");
    *value = nullptr;
    try {
        Xapian::Document doc;
        if (!find_doc(xdb, id, &doc)) {
            err = std::string("no document with id ") + id;
            return XC_ERR_NOT_FOUND;
        }
        std::string v = read_value(doc, slot);
        *value = dup_bytes(v);
        if (len)
            *len = v.size();
        return XC_OK;
    } catch (...) {
        return xc__fail(err, std::current_exception());
    }
}

xc_status_t
xc_db_get_value(xc_db_t *db, const char *id, unsigned slot, char **value,
                size_t *len)
{
    if (!db)
        return XC_ERR_INVALID;
    return get_value_of(db->db, db->err, id, slot, value, len);
}

xc_status_t
xc_db_get_metadata(xc_db_t *db, const char *key, char **value)
{
    if (!db)
        return XC_ERR_INVALID;
    if (!key || !*key || !value)
        return invalid(db->err, "xc_db_get_metadata: NULL or empty key");
    *value = nullptr;
    try {
        *value = dup_bytes(db->db.get_metadata(key));
        return XC_OK;
    } catch (...) {
        return xc__fail(db->err, std::current_exception());
    }
}

/* Spelling data is recorded lower-cased, so @word is lower-cased first. */
xc_status_t
xc_db_spell(xc_db_t *db, const char *word, char **out)
{
    if (!db)
        return XC_ERR_INVALID;
    if (!word || !out)
        return invalid(db->err, "xc_db_spell: NULL argument");
    *out = nullptr;
    try {
        *out = dup_bytes(db->db.get_spelling_suggestion(lower(word)));
        return XC_OK;
    } catch (...) {
        return xc__fail(db->err, std::current_exception());
    }
}

/* A @max of 0 means no limit. */
xc_status_t
xc_db_allterms(xc_db_t *db, const char *prefix, size_t max, xc_term_cb cb,
               void *rock)
{
    if (!db)
        return XC_ERR_INVALID;
    if (!cb)
        return invalid(db->err, "xc_db_allterms: NULL callback");
    try {
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
    } catch (...) {
        return xc__fail(db->err, std::current_exception());
    }
}
