/* writer.cc -- the write handle: transactions, building a document from
 * text, terms and values, deleting, synonyms and metadata. */
#include "xapianc-int.hh"
#include "lemma.hh"

#include <algorithm>
#include <cstring>
#include <memory>

using namespace xc_int;

/* ---------------------------------------------------------------- Writing */

xc_status_t
xc_dbw_open(const char *path, int create, xc_dbw_t **out, char **errmsg)
{
    if (errmsg)
        *errmsg = nullptr;
    if (!out || !path) {
        set_errmsg(errmsg, "xc_dbw_open: NULL argument");
        return XC_ERR_INVALID;
    }
    *out = nullptr;
    return guard_open(errmsg, [&]() -> xc_status_t {
        std::unique_ptr<xc_dbw_t> w(new xc_dbw_t());
        w->db = Xapian::WritableDatabase(
            path, create ? Xapian::DB_CREATE_OR_OPEN : Xapian::DB_OPEN);
        w->stem = make_stem();
        w->tg.set_stemmer(w->stem);
        w->tg.set_stopper(make_stopper());
        /* The database is needed for FLAG_SPELLING to record spelling
         * data. */
        w->tg.set_database(w->db);
        w->tg.set_flags(Xapian::TermGenerator::FLAG_SPELLING);
        *out = w.release();
        return XC_OK;
    });
}

/* An open transaction is cancelled (it was never committed), as is a
 * document begun but not ended.  The handle is freed even on failure, so
 * the status is all the caller gets. */
xc_status_t
xc_dbw_close(xc_dbw_t *w)
{
    if (!w)
        return XC_OK;
    xc_status_t st = XC_OK;
    try {
        if (!w->in_txn)
            render_stamp(w);
        each_db(w, [&](Xapian::WritableDatabase &d) {
            if (w->in_txn)
                d.cancel_transaction();
            else
                d.commit();
            d.close();
        });
    } catch (...) {
        st = xc__fail(w->err, std::current_exception());
    }
    delete w;
    return st;
}

const char *
xc_dbw_errmsg(const xc_dbw_t *w)
{
    return w ? w->err.c_str() : "";
}

xc_status_t
xc_dbw_begin(xc_dbw_t *w)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (w->in_txn)
            return invalid(w->err, "xc_dbw_begin: already in a transaction");
        each_db(w, [](Xapian::WritableDatabase &d) {
            d.begin_transaction(true);
        });
        w->in_txn = true;
        return XC_OK;
    });
}

/* Outside a transaction this commits the pending changes. */
xc_status_t
xc_dbw_commit(xc_dbw_t *w)
{
    return guard_on(w, [&]() -> xc_status_t {
        render_stamp(w);
        if (w->in_txn) {
            /* Xapian ends the transaction even when the commit throws. */
            w->in_txn = false;
            each_db(w, [](Xapian::WritableDatabase &d) {
                d.commit_transaction();
            });
        } else {
            each_db(w, [](Xapian::WritableDatabase &d) { d.commit(); });
        }
        return XC_OK;
    });
}

xc_status_t
xc_dbw_cancel(xc_dbw_t *w)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!w->in_txn)
            return invalid(w->err, "xc_dbw_cancel: not in a transaction");
        w->in_txn = false;
        w->in_doc = false;
        each_db(w, [](Xapian::WritableDatabase &d) {
            d.cancel_transaction();
        });
        return XC_OK;
    });
}

xc_status_t
xc_dbw_revision(xc_dbw_t *w, uint64_t *revision)
{
    if (!w)
        return XC_ERR_INVALID;
    if (w->shards.empty() || !revision)
        return revision_of(w->db, w->err, __func__, revision);
    /* Sharded: the sum, which grows whenever one of them does. */
    return guard(w->err, [&]() -> xc_status_t {
        uint64_t sum = 0;
        each_db(w, [&](Xapian::WritableDatabase &d) {
            sum += d.get_revision();
        });
        *revision = sum;
        return XC_OK;
    });
}

/* Beginning a document while another is open discards the open one. */
xc_status_t
xc_dbw_begin_doc(xc_dbw_t *w, const char *id)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!id || !*id)
            return invalid(w->err, "xc_dbw_begin_doc: NULL or empty id");
        w->doc = Xapian::Document();
        w->id = id;
        w->tg.set_document(w->doc);
        w->tg.set_termpos(0);
        w->in_doc = true;
        w->capped = false;
        return XC_OK;
    });
}

/* Under a term cap, text is indexed in pieces of about this many bytes,
 * each cut at a space, so the cap is checked as the document grows and
 * not only after a page of any size. */
static const size_t CAP_PIECE = 64 * 1024;

xc_status_t
xc_dbw_add_text(xc_dbw_t *w, const char *text, const char *prefix,
                unsigned wdf_inc)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!w->in_doc)
            return invalid(w->err, "xc_dbw_add_text: no document begun");
        if (!text)
            return invalid(w->err, "xc_dbw_add_text: NULL text");
        const std::string pfx = prefix ? prefix : "";
        size_t left = std::strlen(text);

        if (!w->max_terms) {
            w->tg.index_text(Xapian::Utf8Iterator(text, left), wdf_inc, pfx);
            return XC_OK;
        }
        while (left) {
            size_t n = std::min(left, CAP_PIECE);

            if (w->doc.termlist_count() >= w->max_terms) {
                w->capped = true;
                break;
            }
            /* A space is ASCII: never inside a UTF-8 sequence. */
            while (n < left && text[n] != ' ' && text[n] != '\n')
                n++;
            w->tg.index_text(Xapian::Utf8Iterator(text, n), wdf_inc, pfx);
            text += n;
            left -= n;
        }
        return XC_OK;
    });
}

xc_status_t
xc_dbw_set_max_terms(xc_dbw_t *w, uint64_t max)
{
    if (!w)
        return XC_ERR_INVALID;
    w->max_terms = max;
    return XC_OK;
}

int
xc_dbw_doc_capped(const xc_dbw_t *w)
{
    return w && w->capped;
}

xc_status_t
xc_dbw_next_pos(xc_dbw_t *w, unsigned gap, unsigned *pos)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!w->in_doc)
            return invalid(w->err, "xc_dbw_next_pos: no document begun");
        w->tg.increase_termpos(gap);
        if (pos)
            *pos = w->tg.get_termpos() + 1;
        return XC_OK;
    });
}

xc_status_t
xc_dbw_add_term(xc_dbw_t *w, const char *term)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!w->in_doc)
            return invalid(w->err, "xc_dbw_add_term: no document begun");
        if (!term || !*term)
            return invalid(w->err, "xc_dbw_add_term: NULL or empty term");
        w->doc.add_boolean_term(hash_term(term));
        return XC_OK;
    });
}

xc_status_t
xc_dbw_set_value(xc_dbw_t *w, unsigned slot, const char *value, size_t len)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!w->in_doc)
            return invalid(w->err, "xc_dbw_set_value: no document begun");
        if (!value && len)
            return invalid(w->err, "xc_dbw_set_value: NULL value");
        if (slot == XC_SLOT_TEXT)
            store_text(w->doc, value ? value : "", len);
        else
            w->doc.add_value(slot, std::string(value ? value : "", len));
        return XC_OK;
    });
}

xc_status_t
xc_dbw_set_data(xc_dbw_t *w, const char *data)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!w->in_doc)
            return invalid(w->err, "xc_dbw_set_data: no document begun");
        w->doc.set_data(data ? data : "");
        return XC_OK;
    });
}

xc_status_t
xc_dbw_end_doc(xc_dbw_t *w)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!w->in_doc)
            return invalid(w->err, "xc_dbw_end_doc: no document begun");
        std::string idterm = hash_term(XC_PREFIX_ID + w->id);
        w->in_doc = false;
        add_phrase_terms(w);
        /* The first document of an index fixes its schema. */
        if (doc_count(w) == 0) {
            if (w->db.get_metadata(XC_META_PHRASE_TERMS).empty())
                w->db.set_metadata(XC_META_PHRASE_TERMS, "1");
            w->db.set_metadata(XC_META_SCHEMA, XC_SCHEMA_VERSION);
        }
        w->doc.add_boolean_term(idterm);
        Xapian::docid did = docs_of(w, w->id).replace_document(idterm, w->doc);
        render_put(w, w->id, did, w->doc);
        w->doc = Xapian::Document();
        return XC_OK;
    });
}

xc_status_t
xc_dbw_delete_doc(xc_dbw_t *w, const char *id)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!id || !*id)
            return invalid(w->err, "xc_dbw_delete_doc: NULL or empty id");
        std::string idterm = hash_term(XC_PREFIX_ID + std::string(id));
        render_drop(w, id, idterm);
        docs_of(w, id).delete_document(idterm);
        return XC_OK;
    });
}

xc_status_t
xc_dbw_get_data(xc_dbw_t *w, const char *id, char **out)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!id)
        return invalid(w->err, "xc_dbw_get_data: NULL id");
    Xapian::Database d = docs_of(w, id);
    return data_of(d, w->err, __func__, id, out);
}

xc_status_t
xc_dbw_get_value(xc_dbw_t *w, const char *id, unsigned slot, char **value,
                 size_t *len)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!id)
        return invalid(w->err, "xc_dbw_get_value: NULL id");
    Xapian::Database d = docs_of(w, id);
    return value_of(d, w->err, __func__, id, slot, value, len);
}

/* The ids are collected before the first callback, so @cb may delete or
 * replace documents (ix_writer_delete_unseen() does) without disturbing a
 * live term iterator. */
xc_status_t
xc_dbw_foreach_id(xc_dbw_t *w, xc_id_cb cb, void *rock)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!cb)
            return invalid(w->err, "xc_dbw_foreach_id: NULL callback");
        std::vector<std::string> ids;
        const std::string p = XC_PREFIX_ID;
        auto collect = [&](Xapian::WritableDatabase &d) {
            for (auto t = d.allterms_begin(p); t != d.allterms_end(p); ++t)
                ids.push_back((*t).substr(p.size()));
        };
        if (w->shards.empty())
            collect(w->db);
        for (auto &d : w->shards)
            collect(d);
        for (const auto &id : ids) {
            if (cb(id.c_str(), rock))
                break;
        }
        return XC_OK;
    });
}

xc_status_t
xc_dbw_set_metadata(xc_dbw_t *w, const char *key, const char *value)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!key || !*key)
            return invalid(w->err, "xc_dbw_set_metadata: NULL or empty key");
        w->db.set_metadata(key, value ? value : "");
        return XC_OK;
    });
}

xc_status_t
xc_dbw_get_metadata(xc_dbw_t *w, const char *key, char **value)
{
    if (!w)
        return XC_ERR_INVALID;
    return metadata_of(w->db, w->err, __func__, key, value);
}

/* Both sides are normalized to their words, lower-cased and joined by
 * single spaces: that is the key FLAG_AUTO_MULTIWORD_SYNONYMS looks up,
 * and the form expand_phrases() turns into a phrase at query time. */
/* Documents already written hold the phrase terms of the old synonyms:
 * until a full rebuild, queries must check phrases again. */
static void
synonyms_changed(xc_dbw_t *w)
{
    w->phrases_loaded = false;
    if (doc_count(w) > 0)
        w->db.set_metadata(XC_META_PHRASE_TERMS, "0");
}

xc_status_t
xc_dbw_add_synonym(xc_dbw_t *w, const char *term, const char *synonym)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!term || !synonym)
            return invalid(w->err, "xc_dbw_add_synonym: NULL argument");
        std::string key = normalize_words(term);
        std::string value = normalize_words(synonym);
        if (key.empty() || value.empty())
            return invalid(w->err, "xc_dbw_add_synonym: no words");
        if (key != value) {
            w->db.add_synonym(key, value);
            synonyms_changed(w);
        }
        return XC_OK;
    });
}

/* The words of @text, lower-cased, unstemmed, in order. */
static std::vector<std::string>
split_words(const std::string &text)
{
    return split_spaces(normalize_words(text));
}

/* The key is what the query parser looks up: the stem ("Z" + stem) of a
 * single word, the dictionary forms of several words joined by spaces
 * (xc_query_parse() folds the query's words the same way).  The value is
 * the stems, space-separated: expand_phrases() makes the AND of them.
 * Stopwords leave the value, since the TermGenerator does not index
 * their stems. */
xc_status_t
xc_dbw_add_translation(xc_dbw_t *w, const char *term, const char *translation)
{
    return guard_on(w, [&]() -> xc_status_t {
        if (!term || !translation)
            return invalid(w->err, "xc_dbw_add_translation: NULL argument");
        std::vector<std::string> from = split_words(term);
        std::vector<std::string> to = split_words(translation);
        std::unique_ptr<const Xapian::Stopper> stop(make_stopper());
        std::string key, value;
        if (from.size() == 1) {
            key = "Z" + w->stem(from[0]);
        } else {
            for (const auto &word : from)
                key += (key.empty() ? "" : " ") + xc_int::lemma::fold(word);
        }
        for (const auto &word : to) {
            if (to.size() > 1 && (*stop)(word))
                continue;
            value += (value.empty() ? "Z" : " Z") + w->stem(word);
        }
        if (from.empty() || value.empty())
            return invalid(w->err, "xc_dbw_add_translation: no words");
        if (key != value)
            w->db.add_synonym(key, value);
        for (const auto &word : from)
            if (xc_int::lemma::is_cyrillic(word))
                w->db.add_spelling(xc_int::lemma::fold(word));
        return XC_OK;
    });
}

