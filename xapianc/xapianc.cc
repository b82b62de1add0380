/* xapianc.cc -- the C binding over libxapian: indexing, query parsing,
 * search, facets and snippets, with every C++ exception stopped here. */
#include "xapianc.h"
#include "schema.h"
#include "lemma.hh"

#include <xapian.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

/* ---------------------------------------------------------------- Handles */

/* The handle structs are declared in xapianc.h, so they live at global
 * scope; everything else in this file sits in an anonymous namespace so
 * that the only strong global symbols of the library are the xc_*
 * functions (tests/xapianc/check-symbols.sh guards this). */

/* A facet slot's values by docid, interned: the values of document d are
 * names[ids[start[d]]] .. names[ids[start[d + 1] - 1]]. */
struct facet_column {
    std::string version;        /* uuid and revision it was read at */
    std::vector<uint32_t> start;
    std::vector<uint16_t> ids;
    std::vector<std::string> names;
};

struct xc_db {
    Xapian::Database db;
    std::string err;            /* message of the last failed call */
    /* Facet columns of this handle's revision (count_facets()). */
    std::map<unsigned, facet_column> columns;
};

/* A multi-word synonym key and the one-word synonyms it stands for. */
struct phrase_terms_t {
    std::vector<std::string> words;     /* unstemmed, in order */
    std::vector<std::string> terms;     /* "cted", and "Zcted" */
};

struct xc_dbw {
    Xapian::WritableDatabase db;
    Xapian::TermGenerator tg;   /* stemmer, stopper and spelling set up */
    Xapian::Stem stem;
    Xapian::Document doc;       /* the document being built */
    std::string id;
    bool in_doc = false;
    bool in_txn = false;
    /* From the synonym table, reloaded after it changes. */
    std::vector<phrase_terms_t> phrases;
    std::vector<std::string> phrase_words;  /* sorted, unique */
    bool phrases_loaded = false;
    std::string err;
};

struct xc_query {
    xc_db_t *db = nullptr;      /* borrowed; messages go there */
    Xapian::Query query;
    std::string corrected;
    bool has_corrected = false;
    bool empty = false;
    std::string desc;
    double time_limit = 0.0;    /* xc_query_set_time_limit(); 0: none */
};

struct xc_mset {
    xc_db_t *db = nullptr;      /* borrowed; messages go there */
    Xapian::Query query;
    Xapian::MSet mset;
    /* Facet counts per slot, already sorted for xc_mset_facets(). */
    std::map<unsigned, std::vector<std::pair<std::string, uint64_t>>> facets;
    /* Matches counted one by one for facets: the exact total, or -1. */
    int64_t counted = -1;
    std::string data;           /* backs xc_hit_t.data until the next call */
};

namespace {

/* ---------------------------------------------------------------- Errors */

/* Thrown by DeadlineSpy out of a match that ran past its time limit. */
struct match_timeout : std::runtime_error {
    match_timeout() : std::runtime_error("the search ran past its time limit")
    {
    }
};

/* The one exception translator: every exported function ends with
 *     } catch (...) { return xc__fail(h->err, std::current_exception()); }
 * It rethrows and catches by type, most-derived first (DatabaseLockError
 * and DatabaseNotFoundError both derive from DatabaseOpeningError, so the
 * order matters), and keeps the message in @err.  Never map by type-name
 * string: the catch clauses are the mapping. */
xc_status_t
xc__fail(std::string &err, std::exception_ptr e) noexcept
{
    xc_status_t st = XC_ERR_INTERNAL;

    try {
        try {
            std::rethrow_exception(e);
        } catch (const Xapian::DatabaseModifiedError &x) {
            err = x.get_description();
            st = XC_ERR_MODIFIED;
        } catch (const Xapian::DatabaseLockError &x) {
            err = x.get_description();
            st = XC_ERR_LOCKED;
        } catch (const Xapian::DatabaseNotFoundError &x) {
            err = x.get_description();
            st = XC_ERR_NO_INDEX;
        } catch (const Xapian::DatabaseOpeningError &x) {
            err = x.get_description();
            st = XC_ERR_NO_INDEX;
        } catch (const Xapian::QueryParserError &x) {
            err = x.get_description();
            st = XC_ERR_QUERY;
        } catch (const Xapian::Error &x) {
            err = x.get_description();
            st = XC_ERR_XAPIAN;
        } catch (const match_timeout &x) {
            err = x.what();
            st = XC_ERR_TIMEOUT;
        } catch (const std::bad_alloc &) {
            err = "out of memory";
            st = XC_ERR_NOMEM;
        } catch (const std::exception &x) {
            err = x.what();
            st = XC_ERR_INTERNAL;
        } catch (...) {
            err = "unknown C++ exception";
            st = XC_ERR_INTERNAL;
        }
    } catch (...) {
        /* Assigning the message itself ran out of memory; the status is
         * still right, the message stays whatever it was. */
    }
    return st;
}

/* Records an argument error on a handle. */
xc_status_t
invalid(std::string &err, const char *what)
{
    err = what;
    return XC_ERR_INVALID;
}

/* Hands a message to an open function's caller through @errmsg (may be
 * NULL); a failing malloc leaves *errmsg NULL, which callers accept. */
void
set_errmsg(char **errmsg, const std::string &msg)
{
    if (!errmsg)
        return;
    *errmsg = static_cast<char *>(malloc(msg.size() + 1));
    if (*errmsg)
        memcpy(*errmsg, msg.c_str(), msg.size() + 1);
}

/* Copies @s into malloc'd memory (transfer full, freed with free()). */
char *
dup_bytes(const std::string &s)
{
    char *p = static_cast<char *>(malloc(s.size() + 1));
    if (!p)
        throw std::bad_alloc();
    memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

/* -------------------------------------------------------- Stored text */

/* Glass keeps value slots uncompressed in postlist.glass, while it does
 * compress document data; the full text (XC_SLOT_TEXT) is most of an index,
 * so it is deflated here and inflated on the way out, and no caller sees
 * the difference.
 *
 * A snippet needs one passage, and inflating a whole 7 MB text for it cost
 * 25 ms a hit; so the text is cut into blocks of whole passages, about
 * XC_TEXT_BLOCK bytes each, deflated one by one (deflate's window is 32 KiB,
 * so this costs almost nothing in size).  XC_SLOT_TEXT holds the block
 * table and block 0; block b > 0 has slot XC_SLOT_TEXT_MORE + b - 1 to
 * itself, so reading a passage reads and inflates only its block:
 *
 *   "\0b" n_passages n_blocks {first_passage raw_len}[n_blocks] zlib(block 0)
 *
 * all numbers 4 bytes little-endian.  Text never contains NUL, so a value
 * without a magic is plain (texts under XC_PACK_MIN); "\0z" + length +
 * zlib(whole text) is how indexes written before blocks hold it, still read.
 */
const char XC_PACK_MAGIC[2] = {'\0', 'z'};
const size_t XC_PACK_HEADER = 6;
const char XC_BLOCK_MAGIC[2] = {'\0', 'b'};
/* Below this, deflate's own header costs more than it saves. */
const size_t XC_PACK_MIN = 128;
const size_t XC_TEXT_BLOCK = 32 * 1024;
/* zlib's default (6): on the generated corpus it packs 5% better than 3
 * and 11% better than 1, and costs well under a second per 30 MB of text,
 * against minutes of extraction. */
const int XC_PACK_LEVEL = Z_DEFAULT_COMPRESSION;

void
put_u32(std::string &out, size_t v)
{
    for (int i = 0; i < 4; i++)
        out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t
get_u32(const std::string &in, size_t at)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= static_cast<uint32_t>(static_cast<unsigned char>(in[at + i]))
             << (8 * i);
    return v;
}

[[noreturn]] void
damaged(const char *what)
{
    throw std::runtime_error(std::string("stored text is damaged (")
                             + what + ")");
}

std::string
deflate_block(const char *data, size_t len)
{
    uLongf out_len = compressBound(static_cast<uLong>(len));
    std::string out(out_len, '\0');
    int rc = compress2(reinterpret_cast<Bytef *>(&out[0]), &out_len,
                       reinterpret_cast<const Bytef *>(data),
                       static_cast<uLong>(len), XC_PACK_LEVEL);
    if (rc == Z_MEM_ERROR)
        throw std::bad_alloc();
    if (rc != Z_OK)
        damaged("zlib cannot deflate");
    out.resize(out_len);
    return out;
}

/* Inflates @in from byte @at into exactly @raw_len bytes. */
std::string
inflate_block(const std::string &in, size_t at, size_t raw_len)
{
    if (at > in.size())
        damaged("block header beyond its value");
    std::string out(raw_len, '\0');
    uLongf got = static_cast<uLongf>(raw_len);
    int rc = uncompress(reinterpret_cast<Bytef *>(&out[0]), &got,
                        reinterpret_cast<const Bytef *>(in.data() + at),
                        static_cast<uLong>(in.size() - at));
    if (rc == Z_MEM_ERROR)
        throw std::bad_alloc();
    if (rc != Z_OK || got != raw_len)
        damaged(zError(rc) ? zError(rc) : "zlib");
    return out;
}

/* Stores @text (passages split by XC_PAGE_SEP) in @doc, replacing any
 * text set before. */
void
store_text(Xapian::Document &doc, const char *text, size_t len)
{
    std::vector<Xapian::valueno> stale;
    for (auto v = doc.values_begin(); v != doc.values_end(); ++v)
        if (v.get_valueno() >= XC_SLOT_TEXT_MORE)
            stale.push_back(v.get_valueno());
    for (Xapian::valueno slot : stale)
        doc.remove_value(slot);
    if (len < XC_PACK_MIN || len > UINT32_MAX) {
        doc.add_value(XC_SLOT_TEXT, std::string(text, len));
        return;
    }
    /* A block ends after the passage that takes it past XC_TEXT_BLOCK. */
    struct block { size_t start, end, first; };
    std::vector<block> blocks;
    size_t passage = 0, first = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != XC_PAGE_SEP)
            continue;
        passage++;
        if (i == len || i - start >= XC_TEXT_BLOCK) {
            blocks.push_back({start, i, first});
            first = passage;
            start = i + 1;
        }
    }
    std::string head(XC_BLOCK_MAGIC, 2);
    put_u32(head, passage);
    put_u32(head, blocks.size());
    for (const block &k : blocks) {
        put_u32(head, k.first);
        put_u32(head, k.end - k.start);
    }
    for (size_t b = 0; b < blocks.size(); b++) {
        std::string z = deflate_block(text + blocks[b].start,
                                      blocks[b].end - blocks[b].start);
        if (b == 0)
            doc.add_value(XC_SLOT_TEXT, head + z);
        else
            doc.add_value(static_cast<Xapian::valueno>(XC_SLOT_TEXT_MORE
                                                       + b - 1), z);
    }
}

/* The block table of a "\0b" value. */
struct text_table {
    uint32_t n_passages = 0;
    std::vector<std::pair<uint32_t, uint32_t>> blocks; /* first, raw_len */
    size_t data = 0;                                    /* block 0 starts */
};

bool
parse_table(const std::string &v, text_table *t)
{
    if (v.size() < 10 || v[0] != XC_BLOCK_MAGIC[0]
        || v[1] != XC_BLOCK_MAGIC[1])
        return false;
    t->n_passages = get_u32(v, 2);
    uint32_t n = get_u32(v, 6);
    if (n == 0 || (v.size() - 10) / 8 < n)
        damaged("block table");
    for (uint32_t b = 0; b < n; b++)
        t->blocks.emplace_back(get_u32(v, 10 + 8 * b),
                               get_u32(v, 14 + 8 * b));
    t->data = 10 + 8 * static_cast<size_t>(n);
    return true;
}

std::string
read_block(const Xapian::Document &doc, const std::string &head,
           const text_table &t, size_t b)
{
    if (b == 0)
        return inflate_block(head, t.data, t.blocks[0].second);
    std::string z = doc.get_value(
        static_cast<Xapian::valueno>(XC_SLOT_TEXT_MORE + b - 1));
    if (z.empty())
        damaged("a block is missing");
    return inflate_block(z, 0, t.blocks[b].second);
}

/* The value in @slot of @doc, the text inflated and joined again.  Throws
 * std::runtime_error for damaged text: reported as such, never guessed. */
std::string
read_value(const Xapian::Document &doc, unsigned slot)
{
    std::string v = doc.get_value(slot);
    if (slot != XC_SLOT_TEXT || v.size() < 2 || v[0] != '\0')
        return v;
    text_table t;
    if (parse_table(v, &t)) {
        std::string out;
        for (size_t b = 0; b < t.blocks.size(); b++) {
            if (b)
                out += XC_PAGE_SEP;
            out += read_block(doc, v, t, b);
        }
        return out;
    }
    if (v.size() < XC_PACK_HEADER || v[1] != XC_PACK_MAGIC[1])
        damaged("unknown format");
    return inflate_block(v, XC_PACK_HEADER, get_u32(v, 2));
}

/* Passage *@n of @text (XC_PAGE_SEP between passages), or its last one
 * when there are fewer, and then *@n is that one's number. */
std::string
cut_passage(const std::string &text, unsigned *n)
{
    size_t start = 0;
    unsigned k;
    for (k = 0; k < *n; k++) {
        size_t ff = text.find(XC_PAGE_SEP, start);
        if (ff == std::string::npos)
            break;
        start = ff + 1;
    }
    size_t end = text.find(XC_PAGE_SEP, start);
    *n = k;
    return text.substr(start, end == std::string::npos ? std::string::npos
                                                       : end - start);
}

/* Passage *@n of @doc's text, reading only the block that holds it. */
std::string
read_passage(const Xapian::Document &doc, unsigned *n)
{
    std::string v = doc.get_value(XC_SLOT_TEXT);
    text_table t;
    if (v.size() < 2 || v[0] != '\0' || !parse_table(v, &t))
        return cut_passage(read_value(doc, XC_SLOT_TEXT), n);
    unsigned want = t.n_passages ? std::min(*n, t.n_passages - 1) : 0;
    size_t b = t.blocks.size() - 1;
    while (b > 0 && t.blocks[b].first > want)
        b--;
    unsigned local = want - t.blocks[b].first;
    std::string passage = cut_passage(read_block(doc, v, t, b), &local);
    *n = t.blocks[b].first + local;
    return passage;
}

/* ---------------------------------------------------------------- Terms */

/* Xapian's glass backend refuses terms over 245 bytes, and boolean terms
 * built from outside data (ids, URLs' hosts, slugs) can be that long, so a
 * long term keeps its head and gets its tail replaced by 16 hex digits of a
 * 64-bit FNV-1a hash of the whole term, as omindex's hashterm does.  The
 * cut backs off to a UTF-8 character boundary.  Indexing and filtering
 * both go through here, so they agree. */
std::string
hash_term(const std::string &term)
{
    static const char hex[] = "0123456789abcdef";
    const size_t tail = 16;

    if (term.size() <= XC_MAX_TERM)
        return term;
    uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : term) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    size_t keep = XC_MAX_TERM - tail;
    while (keep > 0 && (static_cast<unsigned char>(term[keep]) & 0xC0) == 0x80)
        keep--;
    std::string out = term.substr(0, keep);
    for (int shift = 60; shift >= 0; shift -= 4)
        out += hex[(h >> shift) & 0xF];
    return out;
}

std::string
lower(const std::string &s)
{
    return Xapian::Unicode::tolower(s);
}

/* Splits @text into words the way the TermGenerator does (lower-cased,
 * unstemmed, in order) and joins them with single spaces: the form the
 * query parser uses to look up multi-word synonym keys. */
std::string
normalize_words(const std::string &text)
{
    Xapian::TermGenerator tg;
    Xapian::Document doc;
    std::vector<std::pair<Xapian::termpos, std::string>> words;

    tg.set_document(doc);
    tg.index_text(text);
    for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t) {
        for (auto p = t.positionlist_begin(); p != t.positionlist_end(); ++p)
            words.emplace_back(*p, *t);
    }
    std::sort(words.begin(), words.end());
    std::string out;
    for (const auto &w : words) {
        if (!out.empty())
            out += ' ';
        out += w.second;
    }
    return out;
}

/* ---------------------------------------------------------------- Stemming */

/* One stemmer for a bilingual corpus: Russian for words with a Cyrillic
 * letter, English for everything else, each run on the word's dictionary
 * form (lemma.hh: the hunspell-ru lemma, the American spelling), so that
 * "узбекистана" and "узбекистане", "organisations" and "organizations"
 * share a stem.  Words are already lower-cased by the TermGenerator and
 * the QueryParser. */
class MixedStem : public Xapian::StemImplementation {
    Xapian::Stem en{"english"};
    Xapian::Stem ru{"russian"};

  public:
    std::string
    operator()(const std::string &word) override
    {
        std::string form = xc_lemma::fold(word);
        return xc_lemma::is_cyrillic(form) ? ru(form) : en(form);
    }

    std::string
    get_description() const override
    {
        return "ctmap-english-russian";
    }
};

Xapian::Stem
make_stem()
{
    return Xapian::Stem(new MixedStem());
}

/* A short English list: enough to keep "the" and "of" out of queries and
 * out of the stemmed terms, short enough that no content word is lost.
 * "no", "not", "and", "or" stay out of it because they carry meaning (and
 * are operators with FLAG_BOOLEAN_ANY_CASE). */
const Xapian::Stopper *
make_stopper()
{
    static const char *const words[] = {
        "a", "an", "are", "as", "at", "be", "by", "for", "from", "in",
        "is", "it", "its", "of", "on", "that", "the", "this", "to", "was",
        "were", "with",
    };
    auto *s = new Xapian::SimpleStopper(std::begin(words), std::end(words));
    return s->release();
}

/* ---------------------------------------------------------------- Facets */

/* Counts the values of one multi-valued slot over every match: the slot
 * holds slugs joined by XC_MULTI_SEP, and each distinct slug counts once
 * per document.  (Xapian's ValueCountMatchSpy would count the joined
 * string as one value.)
 *
 * A facet query sees tens of thousands of matches, and
 * Document::get_value() looks each value up from the root of its B-tree:
 * that was two thirds of a faceted /search on 100,000 documents (perf,
 * scripts/bench/query).  The matcher hands documents over in ascending
 * docid order, so the counter walks the slot's value stream alongside
 * instead, and only falls back to get_value() if an earlier docid ever
 * comes. */
class MultiValueCounter : public Xapian::MatchSpy {
    Xapian::Database db;
    Xapian::valueno slot;
    Xapian::ValueIterator it;
    Xapian::docid last = 0;
    std::string key;                    /* reused for lookups */
    std::vector<std::pair<size_t, size_t>> seen;  /* slugs of this doc */

    std::string
    value_of(const Xapian::Document &doc)
    {
        Xapian::docid did = doc.get_docid();
        if (did < last)
            return doc.get_value(slot);
        last = did;
        if (it == db.valuestream_end(slot))
            return std::string();
        if (it.get_docid() < did)
            it.skip_to(did);
        if (it == db.valuestream_end(slot) || it.get_docid() != did)
            return std::string();
        return *it;
    }

  public:
    std::unordered_map<std::string, uint64_t> counts;

    MultiValueCounter(const Xapian::Database &d, Xapian::valueno s)
        : db(d), slot(s), it(d.valuestream_begin(s))
    {
    }

    void
    operator()(const Xapian::Document &doc, double) override
    {
        count(value_of(doc));
    }

    /* The same for a docid given in ascending order, from the value
     * stream alone. */
    void
    add(Xapian::docid did)
    {
        last = did;
        if (it == db.valuestream_end(slot))
            return;
        if (it.get_docid() < did)
            it.skip_to(did);
        if (it != db.valuestream_end(slot) && it.get_docid() == did)
            count(*it);
    }

  private:
    void
    count(const std::string &v)
    {
        size_t start = 0;

        seen.clear();
        while (start < v.size()) {
            size_t end = v.find(XC_MULTI_SEP, start);
            if (end == std::string::npos)
                end = v.size();
            size_t len = end - start;
            bool dup = len == 0;
            for (const auto &o : seen)
                if (!dup && o.second == len
                    && v.compare(o.first, len, v, start, len) == 0)
                    dup = true;
            if (!dup) {
                seen.emplace_back(start, len);
                key.assign(v, start, len);
                auto c = counts.find(key);
                if (c != counts.end())
                    c->second++;
                else
                    counts.emplace(key, 1);
            }
            start = end + 1;
        }
    }
};

/* The matches of @q as a bitmap over docids, computed from posting
 * lists with no matcher, no weights and no positions: for "training
 * youth projects" on 100,000 documents, about 1.5 ms against 10 ms for an
 * unweighted match over its 95,000 matches.  Returns false for what
 * needs positions, values or weights to decide a match (phrases, NEAR,
 * value ranges, wildcards, elite sets); the caller then runs the
 * matcher. */
typedef std::vector<uint64_t> docbits_t;

bool
query_bits(const Xapian::Database &db, const Xapian::Query &q, size_t words,
           docbits_t *out)
{
    out->assign(words, 0);
    auto postings = [&](const std::string &term) {
        for (auto p = db.postlist_begin(term); p != db.postlist_end(term);
             ++p) {
            Xapian::docid did = *p;
            if (did / 64 < words)
                (*out)[did / 64] |= uint64_t(1) << (did % 64);
        }
    };
    switch (q.get_type()) {
    case Xapian::Query::LEAF_MATCH_NOTHING:
        return true;
    case Xapian::Query::LEAF_MATCH_ALL:
        postings(std::string());
        return true;
    case Xapian::Query::LEAF_TERM:
        postings(*q.get_terms_begin());
        return true;
    case Xapian::Query::OP_SCALE_WEIGHT:
    case Xapian::Query::OP_AND_MAYBE:
        return query_bits(db, q.get_subquery(0), words, out);
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_OR:
    case Xapian::Query::OP_SYNONYM:
    case Xapian::Query::OP_MAX:
    case Xapian::Query::OP_XOR:
    case Xapian::Query::OP_AND_NOT: {
        Xapian::Query::op op = q.get_type();
        docbits_t sub;
        for (size_t i = 0; i < q.get_num_subqueries(); i++) {
            if (!query_bits(db, q.get_subquery(i), words,
                            i == 0 ? out : &sub))
                return false;
            if (i == 0)
                continue;
            for (size_t k = 0; k < words; k++) {
                switch (op) {
                case Xapian::Query::OP_AND:
                case Xapian::Query::OP_FILTER:
                    (*out)[k] &= sub[k];
                    break;
                case Xapian::Query::OP_AND_NOT:
                    (*out)[k] &= ~sub[k];
                    break;
                case Xapian::Query::OP_XOR:
                    (*out)[k] ^= sub[k];
                    break;
                default:
                    (*out)[k] |= sub[k];
                    break;
                }
            }
        }
        return true;
    }
    default:
        return false;
    }
}

/* The time limit of a match.  Xapian's own (Enquire::set_time_limit)
 * cannot be used: its POSIX timer notifies a thread that writes a flag in
 * the matcher's stack frame, and timer_delete() does not wait for a
 * notification already under way, so a limit that expires as the match
 * ends writes into whatever the stack holds by then -- "stack smashing
 * detected" with two clients and a 5 ms limit (xapian-core 1.4,
 * matcher/matchtimeout.h).  This spy looks at the clock every 256
 * documents the matcher hands over and throws match_timeout, which ends
 * the match and which xc__fail() reports as XC_ERR_TIMEOUT. */
class DeadlineSpy : public Xapian::MatchSpy {
    std::chrono::steady_clock::time_point deadline;
    unsigned calls = 0;

  public:
    explicit DeadlineSpy(double seconds)
        : deadline(std::chrono::steady_clock::now()
                   + std::chrono::duration_cast<
                       std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(seconds)))
    {
    }

    void
    operator()(const Xapian::Document &, double) override
    {
        if ((calls++ & 255) == 0
            && std::chrono::steady_clock::now() > deadline)
            throw match_timeout();
    }
};

/* Counts the matches of a facet pass, and keeps their docids when some
 * facet is counted from a column. */
class MatchCollector : public Xapian::MatchSpy {
  public:
    bool keep;
    uint64_t n = 0;
    std::vector<Xapian::docid> ids;

    explicit MatchCollector(bool k) : keep(k) {}

    void
    operator()(const Xapian::Document &doc, double) override
    {
        n++;
        if (keep)
            ids.push_back(doc.get_docid());
    }
};

/* Below this many matches a facet is counted from each match's values,
 * which needs no column (reading the seven facet columns of 100,000
 * documents took about 35 ms, once per revision and thread). */
const uint64_t XC_COLUMN_MIN_MATCHES = 2000;

/* Facet columns: a slot's values read once per index revision into
 * arrays by docid, so that counting a facet over a large result set is a
 * walk over the match bitmap with no Xapian call at all.  Seven fields
 * over 95,000 matches of 100,000 documents, bitmap included: 10 ms from
 * the facet terms' posting lists, 4 ms from columns (qbench --each).
 * Returns nullptr when the slot has more distinct values than the ids
 * can name. */
const facet_column *
column_of(xc_db_t *xdb, unsigned slot)
{
    const Xapian::Database &db = xdb->db;
    std::string version = db.get_uuid() + ":"
                          + std::to_string(db.get_revision());
    auto found = xdb->columns.find(slot);
    if (found != xdb->columns.end() && found->second.version == version)
        return &found->second;

    facet_column c;
    std::unordered_map<std::string, uint16_t> intern;
    Xapian::docid last = db.get_lastdocid();
    c.start.assign(static_cast<size_t>(last) + 2, 0);
    Xapian::docid next = 0;                 /* start[] filled below this */
    for (auto v = db.valuestream_begin(slot); v != db.valuestream_end(slot);
         ++v) {
        Xapian::docid did = v.get_docid();
        if (did > last)
            break;
        for (; next <= did; next++)
            c.start[next] = static_cast<uint32_t>(c.ids.size());
        std::string value = *v;
        size_t from = 0, first = c.ids.size();
        while (from < value.size()) {
            size_t end = value.find(XC_MULTI_SEP, from);
            if (end == std::string::npos)
                end = value.size();
            if (end > from) {
                std::string name = value.substr(from, end - from);
                auto it = intern.find(name);
                if (it == intern.end()) {
                    if (c.names.size() > UINT16_MAX)
                        return nullptr;
                    it = intern.emplace(name, static_cast<uint16_t>(
                                                  c.names.size())).first;
                    c.names.push_back(name);
                }
                /* A value named twice in one document counts once. */
                if (std::find(c.ids.begin() + static_cast<long>(first),
                              c.ids.end(), it->second) == c.ids.end())
                    c.ids.push_back(it->second);
            }
            from = end + 1;
        }
    }
    for (; next <= last + 1; next++)
        c.start[next] = static_cast<uint32_t>(c.ids.size());
    c.version = version;
    facet_column &kept = xdb->columns[slot];
    kept = std::move(c);
    return &kept;
}

void
count_column(const facet_column &c, const std::vector<uint64_t> &bits,
             std::vector<std::pair<std::string, uint64_t>> *out)
{
    std::vector<uint64_t> n(c.names.size(), 0);
    size_t docs = c.start.size() - 1;
    for (size_t k = 0; k < bits.size(); k++)
        for (uint64_t w = bits[k]; w; w &= w - 1) {
            size_t did = k * 64 + static_cast<size_t>(__builtin_ctzll(w));
            if (did >= docs)
                break;
            for (uint32_t i = c.start[did]; i < c.start[did + 1]; i++)
                n[c.ids[i]]++;
        }
    for (size_t i = 0; i < n.size(); i++)
        if (n[i])
            out->emplace_back(c.names[i], n[i]);
}

/* ---------------------------------------------------------------- Prefixes */

/* Boolean field values typed in a query ("country:Kyrgyzstan") are
 * lower-cased to match the slugs the indexer writes, and hashed like
 * every boolean term. */
class BoolProcessor : public Xapian::FieldProcessor {
    std::string prefix;

  public:
    explicit BoolProcessor(const char *p) : prefix(p) {}

    Xapian::Query
    operator()(const std::string &str) override
    {
        if (str.empty())
            return Xapian::Query::MatchNothing;
        return Xapian::Query(hash_term(prefix + lower(str)));
    }
};

/* The widest year range year:A..B may span; wider ones are refused rather
 * than turned into thousands of terms. */
const long YEAR_SPAN_MAX = 200;

/* year:2019 -> XYEAR2019; year:2018..2020 -> XYEAR2018 OR ... OR XYEAR2020;
 * year:2018.. and year:..2005 take the years present in the index.  Bad
 * input is not thrown from here: an exception out of a FieldProcessor
 * leaks the parser's state inside Xapian 1.4 (ASan sees it), so the
 * processor records @error, matches nothing, and xc_query_parse() throws
 * the QueryParserError once parse_query() has returned. */
class YearProcessor : public Xapian::FieldProcessor {
    Xapian::Database db;

    static bool
    parse_year(const std::string &s, long *out)
    {
        if (s.empty() || s.size() > 9)
            return false;
        long v = 0;
        for (char c : s) {
            if (c < '0' || c > '9')
                return false;
            v = v * 10 + (c - '0');
        }
        *out = v;
        return true;
    }

    Xapian::Query
    fail(const std::string &msg)
    {
        if (error.empty())
            error = msg;
        return Xapian::Query::MatchNothing;
    }

  public:
    std::string error;          /* the first bad value, or "" */

    explicit YearProcessor(const Xapian::Database &d) : db(d) {}

    Xapian::Query
    operator()(const std::string &str) override
    {
        size_t dots = str.find("..");
        long lo = 0;
        long hi = 0;

        if (dots == std::string::npos) {
            if (!parse_year(str, &lo))
                return fail("year: expects a year or a range A..B, not '" +
                            str + "'");
            return Xapian::Query(XC_PREFIX_YEAR + std::to_string(lo));
        }
        std::string a = str.substr(0, dots);
        std::string b = str.substr(dots + 2);
        bool has_lo = !a.empty();
        bool has_hi = !b.empty();
        if ((!has_lo && !has_hi) || (has_lo && !parse_year(a, &lo)) ||
            (has_hi && !parse_year(b, &hi)))
            return fail("year: bad range '" + str + "'");
        std::vector<Xapian::Query> years;
        if (has_lo && has_hi) {
            if (lo > hi)
                return fail("year: empty range '" + str + "'");
            if (hi - lo + 1 > YEAR_SPAN_MAX)
                return fail("year: range '" + str + "' spans more than " +
                            std::to_string(YEAR_SPAN_MAX) + " years");
            for (long y = lo; y <= hi; y++)
                years.emplace_back(XC_PREFIX_YEAR + std::to_string(y));
        } else {
            /* An open end: the years the index actually has. */
            const size_t plen = strlen(XC_PREFIX_YEAR);
            for (auto t = db.allterms_begin(XC_PREFIX_YEAR);
                 t != db.allterms_end(XC_PREFIX_YEAR); ++t) {
                long y;
                if (!parse_year((*t).substr(plen), &y))
                    continue;
                if ((has_lo && y < lo) || (has_hi && y > hi))
                    continue;
                years.emplace_back(*t);
            }
        }
        return Xapian::Query(Xapian::Query::OP_OR, years.begin(),
                             years.end());
    }
};

/* ---------------------------------------------------------------- Queries */

/* TRUE when every leaf of @q is a stopword term.  Xapian keeps stopwords
 * when a query has nothing else ("the" parses to Zthe), and such a query
 * matches nothing useful, so xc_query_parse() reports it as empty. */
bool
all_stopwords(const Xapian::Query &q, const Xapian::Stopper &stop)
{
    switch (q.get_type()) {
    case Xapian::Query::LEAF_TERM: {
        std::string t = *q.get_terms_begin();
        if (!t.empty() && t[0] == 'Z')
            t.erase(0, 1);
        return stop(t);
    }
    case Xapian::Query::LEAF_MATCH_NOTHING:
        return true;
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_OR:
    case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_XOR:
    case Xapian::Query::OP_AND_MAYBE:
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_NEAR:
    case Xapian::Query::OP_PHRASE:
    case Xapian::Query::OP_SYNONYM:
    case Xapian::Query::OP_MAX:
        for (size_t i = 0; i < q.get_num_subqueries(); i++) {
            if (!all_stopwords(q.get_subquery(i), stop))
                return false;
        }
        return true;
    default:
        /* Any other operator (wildcards, value ranges, MatchAll, scaled
         * filters...) is something real. */
        return false;
    }
}

/* Multi-word synonyms.  Xapian turns each synonym into a single term, so
 * "ftf" -> "foreign terrorist fighters" yields a term with spaces in it
 * that no document has.  xc_dbw_add_synonym() stores a multi-word synonym
 * as its words, normalized and joined by single spaces, and this rewrite
 * replaces each such term with a phrase of those (unstemmed, positional)
 * words: "ftf" then finds the exact phrase, as the user would expect of
 * an acronym.  The rewrite rebuilds only operators without parameters
 * (the ones synonym expansion can sit under) and leaves the rest as is.
 * The reverse direction ("foreign terrorist fighters" -> "ftf") needs no
 * help: FLAG_AUTO_MULTIWORD_SYNONYMS looks the phrase key up itself.
 * With @phrase_terms (XC_META_PHRASE_TERMS), every document holding such a
 * phrase also holds the one-word synonym, so a synonym group that has one
 * drops its phrases: they would find nothing new, at a position check per
 * document.
 * A synonym whose words are stems ("Zborder Zcontrol", a glossary
 * translation: xc_dbw_add_translation()) has no positions to check; it
 * becomes the AND of its stems, and is never dropped. */
Xapian::Query
expand_phrases(const Xapian::Query &q, bool phrase_terms, bool *changed)
{
    Xapian::Query::op op = q.get_type();

    if (op == Xapian::Query::OP_SYNONYM && phrase_terms) {
        std::vector<Xapian::Query> keep;
        bool one_word = false;
        for (size_t i = 0; i < q.get_num_subqueries(); i++) {
            Xapian::Query sub = q.get_subquery(i);
            bool leaf = sub.get_type() == Xapian::Query::LEAF_TERM;
            std::string t = leaf ? *sub.get_terms_begin() : "";
            bool spaced = leaf && t.find(' ') != std::string::npos
                          && t[0] != 'Z';
            one_word = one_word || (leaf && !spaced);
            if (!spaced)
                keep.push_back(sub);
        }
        if (one_word && keep.size() < q.get_num_subqueries()) {
            *changed = true;
            if (keep.size() == 1)
                return keep[0];
            return Xapian::Query(op, keep.begin(), keep.end());
        }
    }

    if (op == Xapian::Query::LEAF_TERM) {
        std::string t = *q.get_terms_begin();
        if (t.find(' ') == std::string::npos)
            return q;
        std::vector<std::string> words;
        size_t start = 0;
        while (start < t.size()) {
            size_t end = t.find(' ', start);
            if (end == std::string::npos)
                end = t.size();
            if (end > start)
                words.push_back(t.substr(start, end - start));
            start = end + 1;
        }
        *changed = true;
        if (t[0] == 'Z')
            return Xapian::Query(Xapian::Query::OP_AND, words.begin(),
                                 words.end());
        return Xapian::Query(Xapian::Query::OP_PHRASE, words.begin(),
                             words.end(), words.size());
    }
    switch (op) {
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_OR:
    case Xapian::Query::OP_AND_NOT:
    case Xapian::Query::OP_XOR:
    case Xapian::Query::OP_AND_MAYBE:
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_SYNONYM:
    case Xapian::Query::OP_MAX: {
        bool sub_changed = false;
        std::vector<Xapian::Query> subs;
        for (size_t i = 0; i < q.get_num_subqueries(); i++)
            subs.push_back(expand_phrases(q.get_subquery(i), phrase_terms,
                                          &sub_changed));
        if (!sub_changed)
            return q;
        *changed = true;
        return Xapian::Query(op, subs.begin(), subs.end());
    }
    default:
        return q;
    }
}

const unsigned QP_FLAGS_BASE =
    Xapian::QueryParser::FLAG_DEFAULT |
    Xapian::QueryParser::FLAG_BOOLEAN_ANY_CASE |
    Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_LOVEHATE |
    Xapian::QueryParser::FLAG_WILDCARD;

const struct {
    const char *field;
    const char *prefix;
} BOOL_FIELDS[] = {
    {"theme", XC_PREFIX_THEME},     {"country", XC_PREFIX_COUNTRY},
    {"kind", XC_PREFIX_KIND},       {"type", XC_PREFIX_TYPE},
    {"lang", XC_PREFIX_LANG},       {"section", XC_PREFIX_SECTION},
    {"status", XC_PREFIX_STATUS},   {"site", XC_PREFIX_HOST},
};

/* An upper-case query word stays as written when it is a synonym key:
 * "FTF" is the acronym, found as such; "Borders" is just a word. */
bool
is_acronym(const std::string &lower, void *rock)
{
    const Xapian::Database &db = *static_cast<const Xapian::Database *>(rock);
    return db.synonyms_begin(lower) != db.synonyms_end(lower);
}

/* ---------------------------------------------------------------- Positions */

/* Reports the positions of @term in @did; a term without positions (or
 * not in the document) gives an empty list, not an error. */
bool
emit_positions(const Xapian::Database &db, Xapian::docid did,
               const std::string &term, xc_pos_cb cb, void *rock)
{
    for (auto p = db.positionlist_begin(did, term);
         p != db.positionlist_end(did, term); ++p) {
        if (cb(*p, rock))
            return true;
    }
    return false;
}

/* Length of the Xapian-style prefix (leading ASCII capitals) of @term. */
size_t
prefix_len(const std::string &term)
{
    size_t i = 0;
    while (i < term.size() && term[i] >= 'A' && term[i] <= 'Z')
        i++;
    return i;
}

} /* namespace */

/* ---------------------------------------------------------------- Status */

const char *
xc_strerror(xc_status_t status)
{
    switch (status) {
#define XC__CASE(name, text) \
    case name:               \
        return text;
        XC_STATUS_LIST(XC__CASE)
#undef XC__CASE
    }
    /* No default: -Wswitch flags a status missing from the list; this is
     * only reached with a value outside the enum. */
    return "unknown status";
}

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
static xc_status_t
get_value_of(Xapian::Database &xdb, std::string &err, const char *id,
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

xc_status_t
xc_db_word_known(xc_db_t *db, const char *word, int *known)
{
    if (!db)
        return XC_ERR_INVALID;
    if (!word || !known)
        return invalid(db->err, "xc_db_word_known: NULL argument");
    *known = 0;
    try {
        std::string w = lower(word);
        std::string z = "Z" + make_stem()(w);
        *known = db->db.term_exists(w) || db->db.term_exists(z)
                 || db->db.synonyms_begin(w) != db->db.synonyms_end(w)
                 || db->db.synonyms_begin(z) != db->db.synonyms_end(z);
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

/* ---------------------------------------------------------------- Queries */

/* The parser: the default operator stays OR (ranked by BM25, which puts
 * documents with every word first) because AND loses recall on long
 * natural-language queries.  Free-text prefixes title: and org:, boolean
 * ones lower-cased through BoolProcessor, year: through YearProcessor.
 * A syntax error (a stray "AND", say) is retried once with no syntax flags,
 * so a user always gets results for what they typed; a bad year range is
 * not retried, since it would fail again. */
xc_status_t
xc_query_parse(xc_db_t *db, const char *text, unsigned flags,
               xc_query_t **out)
{
    if (!db)
        return XC_ERR_INVALID;
    if (!out)
        return invalid(db->err, "xc_query_parse: NULL out");
    *out = nullptr;
    try {
        std::unique_ptr<xc_query_t> q(new xc_query_t());
        q->db = db;
        std::string s = text ? text : "";
        if (s.find_first_not_of(" \t\r\n\f\v") == std::string::npos) {
            /* A new query, not a copy of Query::MatchAll: that is one
             * static object whose reference count (not atomic in Xapian
             * 1.4) every thread browsing at once would bump -- the
             * daemon's crash under eight clients. */
            q->query = Xapian::Query(std::string());
            *out = q.release();
            return XC_OK;
        }

        s = xc_lemma::fold_query(s, is_acronym, &db->db);
        Xapian::QueryParser qp;
        const Xapian::Stopper *stopper = make_stopper();
        qp.set_database(db->db);
        qp.set_stemmer(make_stem());
        qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        qp.set_stopper(stopper);
        qp.set_default_op(Xapian::Query::OP_OR);
        qp.add_prefix("title", XC_PREFIX_TITLE);
        qp.add_prefix("org", XC_PREFIX_ORGTEXT);
        for (const auto &f : BOOL_FIELDS)
            qp.add_boolean_prefix(f.field,
                                  (new BoolProcessor(f.prefix))->release());
        /* The parser owns the processor; @year stays valid while qp
         * lives, which is all we need it for. */
        YearProcessor *year = new YearProcessor(db->db);
        qp.add_boolean_prefix("year", year->release());

        unsigned extra = 0;
        if (flags & XC_PARSE_SPELLING)
            extra |= Xapian::QueryParser::FLAG_SPELLING_CORRECTION;
        if (flags & XC_PARSE_SYNONYMS)
            extra |= Xapian::QueryParser::FLAG_SYNONYM |
                     Xapian::QueryParser::FLAG_AUTO_MULTIWORD_SYNONYMS;
        if (flags & XC_PARSE_PARTIAL)
            extra |= Xapian::QueryParser::FLAG_PARTIAL;

        Xapian::Query parsed;
        try {
            parsed = qp.parse_query(s, QP_FLAGS_BASE | extra);
        } catch (const Xapian::QueryParserError &) {
            parsed = qp.parse_query(s, 0);
        }
        /* A bad year is the user's mistake in any syntax: no retry. */
        if (!year->error.empty())
            throw Xapian::QueryParserError(year->error);
        q->corrected = qp.get_corrected_query_string();
        q->has_corrected = !q->corrected.empty();

        if (parsed.empty() || all_stopwords(parsed, *stopper)) {
            q->empty = true;
            q->query = Xapian::Query::MatchNothing;
        } else {
            bool changed = false;
            q->query = expand_phrases(
                parsed, db->db.get_metadata(XC_META_PHRASE_TERMS) == "1",
                &changed);
        }
        *out = q.release();
        return XC_OK;
    } catch (...) {
        return xc__fail(db->err, std::current_exception());
    }
}

void
xc_query_free(xc_query_t *q)
{
    delete q;
}

/* @n == 0 adds no filter (rather than one that matches nothing), so a
 * caller can pass an empty list straight through. */
xc_status_t
xc_query_filter(xc_query_t *q, const char *prefix, const char *const *values,
                size_t n)
{
    if (!q)
        return XC_ERR_INVALID;
    if (!prefix || (n && !values))
        return invalid(q->db->err, "xc_query_filter: NULL argument");
    try {
        if (n == 0)
            return XC_OK;
        std::vector<Xapian::Query> terms;
        for (size_t i = 0; i < n; i++) {
            if (!values[i])
                return invalid(q->db->err, "xc_query_filter: NULL value");
            terms.emplace_back(hash_term(prefix + std::string(values[i])));
        }
        Xapian::Query any(Xapian::Query::OP_OR, terms.begin(), terms.end());
        q->query = Xapian::Query(Xapian::Query::OP_FILTER, q->query, any);
        return XC_OK;
    } catch (...) {
        return xc__fail(q->db->err, std::current_exception());
    }
}

int
xc_query_is_empty(const xc_query_t *q)
{
    return q && q->empty;
}

const char *
xc_query_corrected(const xc_query_t *q)
{
    return q && q->has_corrected ? q->corrected.c_str() : nullptr;
}

/* Returns "" if the description cannot be built (out of memory). */
const char *
xc_query_describe(xc_query_t *q)
{
    if (!q)
        return "";
    try {
        q->desc = q->query.get_description();
        return q->desc.c_str();
    } catch (...) {
        (void)xc__fail(q->db->err, std::current_exception());
        return "";
    }
}

/* The limit is kept by DeadlineSpy, in the page pass and in a facet pass
 * alike. */
static bool
positional(const Xapian::Query &q)
{
    Xapian::Query::op op = q.get_type();
    if (op == Xapian::Query::OP_PHRASE || op == Xapian::Query::OP_NEAR)
        return true;
    for (size_t i = 0; i < q.get_num_subqueries(); i++)
        if (positional(q.get_subquery(i)))
            return true;
    return false;
}

int
xc_query_is_positional(const xc_query_t *q)
{
    try {
        return q && positional(q->query);
    } catch (...) {
        return 0;
    }
}

xc_status_t
xc_query_set_time_limit(xc_query_t *q, double seconds)
{
    if (!q)
        return XC_ERR_INVALID;
    if (!(seconds >= 0))
        return invalid(q->db->err, "xc_query_set_time_limit: negative");
    q->time_limit = seconds;
    return XC_OK;
}

/* ---------------------------------------------------------------- Search */

static void count_facets(xc_db_t *xdb, const xc_query_t *q,
                         const xc_search_opts_t *opts, xc_mset_t *m,
                         DeadlineSpy *deadline);

xc_status_t
xc_search(xc_query_t *q, const xc_search_opts_t *opts, xc_mset_t **out)
{
    if (!q)
        return XC_ERR_INVALID;
    xc_db_t *db = q->db;
    if (!opts || !out)
        return invalid(db->err, "xc_search: NULL argument");
    if (opts->n_facet_slots && !opts->facet_slots)
        return invalid(db->err, "xc_search: NULL facet_slots");
    *out = nullptr;
    try {
        std::unique_ptr<xc_mset_t> m(new xc_mset_t());
        m->db = db;
        m->query = q->query;

        Xapian::Enquire enq(db->db);
        enq.set_query(q->query);
        enq.set_weighting_scheme(Xapian::BM25Weight());
        std::unique_ptr<DeadlineSpy> deadline;
        if (q->time_limit > 0) {
            deadline.reset(new DeadlineSpy(q->time_limit));
            enq.add_matchspy(deadline.get());
        }
        switch (opts->sort) {
        case XC_SORT_RELEVANCE:
            enq.set_sort_by_relevance();
            break;
        case XC_SORT_DATE:
            enq.set_sort_by_value_then_relevance(XC_SLOT_DATE, true);
            break;
        }
        /* No default: -Wswitch catches a new xc_sort_t. */
        if (opts->collapse_slot >= 0)
            enq.set_collapse_key(
                static_cast<Xapian::valueno>(opts->collapse_slot));

        const size_t cap = 0xFFFFFFFFu;
        Xapian::doccount offset =
            static_cast<Xapian::doccount>(std::min(opts->offset, cap));
        Xapian::doccount limit =
            static_cast<Xapian::doccount>(std::min(opts->limit, cap));
        /* Counting facets visits every match and gives the exact total,
         * so then the page pass need not count. */
        size_t check = opts->n_facet_slots ? 0 : opts->check_at_least;
        m->mset = enq.get_mset(
            offset, limit,
            static_cast<Xapian::doccount>(std::min(check, cap)));
        enq.clear_matchspies();
        if (opts->n_facet_slots)
            count_facets(db, q, opts, m.get(), deadline.get());
        *out = m.release();
        return XC_OK;
    } catch (...) {
        return xc__fail(db->err, std::current_exception());
    }
}

/* Facets must count every match, not just those Xapian had to look at for
 * the page.  The matches come as a bitmap from posting lists where the
 * query allows (query_bits()), else from a second, unweighted match over
 * all of them (a ranked pass over 90,000 matches cost more than the page).
 * Many matches are then counted from facet columns, few from the values
 * of each match. */
static void
count_facets(xc_db_t *xdb, const xc_query_t *q, const xc_search_opts_t *opts,
             xc_mset_t *m, DeadlineSpy *deadline)
{
    const Xapian::Database &db = xdb->db;
    size_t words = db.get_lastdocid() / 64 + 1;
    docbits_t bits;
    bool have_bits = query_bits(db, q->query, words, &bits);
    /* Without a bitmap, the bound: a phrase's estimate is a guess, and a
     * column read for nothing costs less than values read for many. */
    uint64_t matches = m->mset.get_matches_upper_bound();
    if (have_bits) {
        matches = 0;
        for (uint64_t w : bits)
            matches += static_cast<uint64_t>(__builtin_popcountll(w));
    }

    std::vector<const facet_column *> column(opts->n_facet_slots, nullptr);
    std::vector<std::unique_ptr<MultiValueCounter>> spies;
    std::vector<int> spy_of(opts->n_facet_slots, -1);
    bool columns_wanted = false;
    for (size_t i = 0; i < opts->n_facet_slots; i++) {
        if (matches >= XC_COLUMN_MIN_MATCHES)
            column[i] = column_of(xdb, opts->facet_slots[i]);
        if (column[i]) {
            columns_wanted = true;
            continue;
        }
        spy_of[i] = static_cast<int>(spies.size());
        spies.emplace_back(new MultiValueCounter(db, opts->facet_slots[i]));
    }

    if (have_bits) {
        /* Values are read in ascending docid order, as a match would. */
        if (!spies.empty())
            for (size_t k = 0; k < words; k++)
                for (uint64_t w = bits[k]; w; w &= w - 1) {
                    Xapian::docid did = static_cast<Xapian::docid>(
                        k * 64 + static_cast<size_t>(__builtin_ctzll(w)));
                    for (auto &spy : spies)
                        spy->add(did);
                }
        if (opts->collapse_slot < 0)
            m->counted = static_cast<int64_t>(matches);
    } else {
        MatchCollector all(columns_wanted);
        Xapian::Enquire enq(db);
        enq.set_query(q->query);
        enq.set_weighting_scheme(Xapian::BoolWeight());
        enq.set_docid_order(Xapian::Enquire::ASCENDING);
        if (deadline)
            enq.add_matchspy(deadline);
        enq.add_matchspy(&all);
        for (auto &spy : spies)
            enq.add_matchspy(spy.get());
        enq.get_mset(0, 0, db.get_doccount());
        enq.clear_matchspies();
        /* A collapsed page counts fewer matches than the pass saw. */
        if (opts->collapse_slot < 0)
            m->counted = static_cast<int64_t>(all.n);
        if (columns_wanted) {
            bits.assign(words, 0);
            for (Xapian::docid did : all.ids)
                bits[did / 64] |= uint64_t(1) << (did % 64);
        }
    }

    for (size_t i = 0; i < opts->n_facet_slots; i++) {
        std::vector<std::pair<std::string, uint64_t>> v;
        if (spy_of[i] >= 0)
            v.assign(spies[spy_of[i]]->counts.begin(),
                     spies[spy_of[i]]->counts.end());
        else
            count_column(*column[i], bits, &v);
        std::sort(v.begin(), v.end(),
                  [](const std::pair<std::string, uint64_t> &a,
                     const std::pair<std::string, uint64_t> &b) {
                      if (a.second != b.second)
                          return a.second > b.second;
                      return a.first < b.first;
                  });
        m->facets[opts->facet_slots[i]] = std::move(v);
    }
}

void
xc_mset_free(xc_mset_t *m)
{
    delete m;
}

/* The bounds are cached in the MSet, so this cannot throw in practice; a
 * failure still reports zero rather than escaping. */
void
xc_mset_total(const xc_mset_t *m, uint64_t *estimate, int *exact)
{
    uint64_t est = 0;
    int ex = 1;
    if (m) {
        try {
            est = m->counted >= 0 ? static_cast<uint64_t>(m->counted)
                                  : m->mset.get_matches_estimated();
            ex = m->counted >= 0
                 || m->mset.get_matches_lower_bound() ==
                        m->mset.get_matches_upper_bound();
        } catch (...) {
            est = 0;
            ex = 0;
        }
    }
    if (estimate)
        *estimate = est;
    if (exact)
        *exact = ex;
}

size_t
xc_mset_size(const xc_mset_t *m)
{
    return m ? m->mset.size() : 0;
}

xc_status_t
xc_mset_hit(xc_mset_t *m, size_t i, xc_hit_t *hit)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!hit || i >= m->mset.size())
        return invalid(m->db->err, "xc_mset_hit: no such hit");
    try {
        Xapian::MSetIterator it = m->mset[static_cast<Xapian::doccount>(i)];
        m->data = it.get_document().get_data();
        hit->docid = *it;
        hit->rank = it.get_rank();
        hit->weight = it.get_weight();
        hit->percent = it.get_percent();
        hit->data = m->data.c_str();
        return XC_OK;
    } catch (...) {
        return xc__fail(m->db->err, std::current_exception());
    }
}

/* Only the docid: the MSet holds it, so no document is read. */
xc_status_t
xc_mset_docid(xc_mset_t *m, size_t i, unsigned *docid)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!docid || i >= m->mset.size())
        return invalid(m->db->err, "xc_mset_docid: no such hit");
    try {
        *docid = *m->mset[static_cast<Xapian::doccount>(i)];
        return XC_OK;
    } catch (...) {
        return xc__fail(m->db->err, std::current_exception());
    }
}

xc_status_t
xc_mset_value(xc_mset_t *m, size_t i, unsigned slot, char **value,
              size_t *len)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!value || i >= m->mset.size())
        return invalid(m->db->err, "xc_mset_value: no such hit");
    *value = nullptr;
    try {
        Xapian::MSetIterator it = m->mset[static_cast<Xapian::doccount>(i)];
        std::string v = read_value(it.get_document(), slot);
        *value = dup_bytes(v);
        if (len)
            *len = v.size();
        return XC_OK;
    } catch (...) {
        return xc__fail(m->db->err, std::current_exception());
    }
}

xc_status_t
xc_mset_passage(xc_mset_t *m, size_t i, unsigned *n, char **text,
                size_t *len)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!n || !text || i >= m->mset.size())
        return invalid(m->db->err, "xc_mset_passage: no such hit");
    *text = nullptr;
    try {
        Xapian::MSetIterator it = m->mset[static_cast<Xapian::doccount>(i)];
        std::string p = read_passage(it.get_document(), n);
        *text = dup_bytes(p);
        if (len)
            *len = p.size();
        return XC_OK;
    } catch (...) {
        return xc__fail(m->db->err, std::current_exception());
    }
}

/* XC_ERR_INVALID when @slot was not among the search's facet_slots. */
xc_status_t
xc_mset_facets(xc_mset_t *m, unsigned slot, xc_facet_cb cb, void *rock)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!cb)
        return invalid(m->db->err, "xc_mset_facets: NULL callback");
    try {
        auto f = m->facets.find(slot);
        if (f == m->facets.end())
            return invalid(m->db->err, "xc_mset_facets: slot not counted");
        for (const auto &v : f->second) {
            if (cb(v.first.c_str(), v.second, rock))
                break;
        }
        return XC_OK;
    } catch (...) {
        return xc__fail(m->db->err, std::current_exception());
    }
}

/* Stemmed query terms ("Zfighter") have no positions in the index, only
 * the words do ("fighters"), so for those the document's own terms are
 * walked and each word whose stem is a query stem reports its positions.
 * Stemming every word of the hit was most of the time of a /search, so a
 * word is stemmed only when it starts like a query stem: a Snowball stem
 * keeps the word's start, but for its last letters ("happi" from "happy",
 * "fighter" from "fighters"), so all of the stem but its last two bytes
 * must lead the word.  The walk costs one pass over the hit's term list,
 * and only when the query has stemmed terms. */
xc_status_t
xc_mset_positions(xc_mset_t *m, size_t i, xc_pos_cb cb, void *rock)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!cb || i >= m->mset.size())
        return invalid(m->db->err, "xc_mset_positions: no such hit");
    try {
        const Xapian::Database &db = m->db->db;
        Xapian::docid did = *m->mset[static_cast<Xapian::doccount>(i)];
        std::set<std::string> stems;
        std::set<std::string> done;
        std::vector<std::string> leads;  /* prefix + start of each stem */

        for (auto t = m->query.get_unique_terms_begin();
             t != m->query.get_unique_terms_end(); ++t) {
            std::string term = *t;
            if (term.empty())
                continue;
            if (term[0] == 'Z') {
                stems.insert(term);
                std::string bare = term.substr(1);
                size_t plen = prefix_len(bare);
                size_t keep = bare.size() - plen > 3
                                  ? bare.size() - plen - 2 : 1;
                leads.push_back(bare.substr(0, plen + keep));
                continue;
            }
            done.insert(term);
            if (emit_positions(db, did, term, cb, rock))
                return XC_OK;
        }
        if (stems.empty())
            return XC_OK;

        Xapian::Stem stem = make_stem();
        for (auto t = db.termlist_begin(did); t != db.termlist_end(did);
             ++t) {
            std::string term = *t;
            size_t plen = prefix_len(term);
            if (plen == term.size() || done.count(term))
                continue;
            bool lead = false;
            for (const std::string &l : leads)
                if (term.compare(0, l.size(), l) == 0) {
                    lead = true;
                    break;
                }
            if (!lead)
                continue;
            std::string key = "Z" + term.substr(0, plen) +
                              stem(term.substr(plen));
            if (!stems.count(key))
                continue;
            for (auto p = t.positionlist_begin(); p != t.positionlist_end();
                 ++p) {
                if (cb(*p, rock))
                    return XC_OK;
            }
        }
        return XC_OK;
    } catch (...) {
        return xc__fail(m->db->err, std::current_exception());
    }
}

/* MSet::snippet() in Xapian 1.4 escapes '&', '<' and '>' in the text it
 * returns (tests/xapianc checks "<b>&"), which is all HTML element content
 * needs; only the markers we pass are left raw.  No
 * SNIPPET_BACKGROUND_MODEL: it looks up the frequency of every distinct
 * word of the text in the index, which was half the time of a /search
 * (perf, scripts/bench/query), to prefer rare words in passages that the
 * query's own terms already pick. */
xc_status_t
xc_mset_snippet(xc_mset_t *m, const char *text, size_t max_len, char **out)
{
    if (!m)
        return XC_ERR_INVALID;
    if (!text || !out)
        return invalid(m->db->err, "xc_mset_snippet: NULL argument");
    *out = nullptr;
    try {
        std::string s = m->mset.snippet(
            text, max_len, make_stem(), Xapian::MSet::SNIPPET_EXHAUSTIVE,
            "<mark>", "</mark>", "...");
        *out = dup_bytes(s);
        return XC_OK;
    } catch (...) {
        return xc__fail(m->db->err, std::current_exception());
    }
}

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
    std::string err;
    try {
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
    } catch (...) {
        xc_status_t st = xc__fail(err, std::current_exception());
        set_errmsg(errmsg, err);
        return st;
    }
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
        if (w->in_txn)
            w->db.cancel_transaction();
        else
            w->db.commit();
        w->db.close();
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
    if (!w)
        return XC_ERR_INVALID;
    if (w->in_txn)
        return invalid(w->err, "xc_dbw_begin: already in a transaction");
    try {
        w->db.begin_transaction(true);
        w->in_txn = true;
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

/* Outside a transaction this commits the pending changes. */
xc_status_t
xc_dbw_commit(xc_dbw_t *w)
{
    if (!w)
        return XC_ERR_INVALID;
    try {
        if (w->in_txn) {
            /* Xapian ends the transaction even when the commit throws. */
            w->in_txn = false;
            w->db.commit_transaction();
        } else {
            w->db.commit();
        }
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_cancel(xc_dbw_t *w)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!w->in_txn)
        return invalid(w->err, "xc_dbw_cancel: not in a transaction");
    try {
        w->in_txn = false;
        w->in_doc = false;
        w->db.cancel_transaction();
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_revision(xc_dbw_t *w, uint64_t *revision)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!revision)
        return invalid(w->err, "xc_dbw_revision: NULL revision");
    try {
        *revision = w->db.get_revision();
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_doccount(xc_dbw_t *w, uint64_t *count)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!count)
        return invalid(w->err, "xc_dbw_doccount: NULL count");
    try {
        *count = w->db.get_doccount();
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

/* Beginning a document while another is open discards the open one. */
xc_status_t
xc_dbw_begin_doc(xc_dbw_t *w, const char *id)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!id || !*id)
        return invalid(w->err, "xc_dbw_begin_doc: NULL or empty id");
    try {
        w->doc = Xapian::Document();
        w->id = id;
        w->tg.set_document(w->doc);
        w->tg.set_termpos(0);
        w->in_doc = true;
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_add_text(xc_dbw_t *w, const char *text, const char *prefix,
                unsigned wdf_inc)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!w->in_doc)
        return invalid(w->err, "xc_dbw_add_text: no document begun");
    if (!text)
        return invalid(w->err, "xc_dbw_add_text: NULL text");
    try {
        w->tg.index_text(text, wdf_inc, prefix ? prefix : "");
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_next_pos(xc_dbw_t *w, unsigned gap, unsigned *pos)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!w->in_doc)
        return invalid(w->err, "xc_dbw_next_pos: no document begun");
    try {
        w->tg.increase_termpos(gap);
        if (pos)
            *pos = w->tg.get_termpos() + 1;
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_add_term(xc_dbw_t *w, const char *term)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!w->in_doc)
        return invalid(w->err, "xc_dbw_add_term: no document begun");
    if (!term || !*term)
        return invalid(w->err, "xc_dbw_add_term: NULL or empty term");
    try {
        w->doc.add_boolean_term(hash_term(term));
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_set_value(xc_dbw_t *w, unsigned slot, const char *value, size_t len)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!w->in_doc)
        return invalid(w->err, "xc_dbw_set_value: no document begun");
    if (!value && len)
        return invalid(w->err, "xc_dbw_set_value: NULL value");
    try {
        if (slot == XC_SLOT_TEXT)
            store_text(w->doc, value ? value : "", len);
        else
            w->doc.add_value(slot, std::string(value ? value : "", len));
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_set_data(xc_dbw_t *w, const char *data)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!w->in_doc)
        return invalid(w->err, "xc_dbw_set_data: no document begun");
    try {
        w->doc.set_data(data ? data : "");
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

/* Xapian 1.4 does not add the unique term for replace_document(term, doc),
 * so it is added here. */
/* --------------------------------------------------------- Phrase terms */

/* An acronym query expanded into its long form as a phrase checks term
 * positions in every document holding all the words -- on this corpus,
 * where "counter" and "terrorism" are in most documents, 90 ms for "cted"
 * on 100,000 documents.  So the writer does that work once: where a
 * document holds a multi-word synonym key, it gets the key's one-word
 * synonyms as terms at the phrase's position (the stemmed form too, as
 * the TermGenerator adds it), and expand_phrases() can leave the phrase
 * out (XC_META_PHRASE_TERMS). */
static void
load_phrases(xc_dbw_t *w)
{
    w->phrases.clear();
    w->phrase_words.clear();
    for (auto k = w->db.synonym_keys_begin(); k != w->db.synonym_keys_end();
         ++k) {
        std::string key = *k;
        if (key.find(' ') == std::string::npos)
            continue;
        phrase_terms_t ph;
        for (auto t = w->db.synonyms_begin(key); t != w->db.synonyms_end(key);
             ++t) {
            std::string one = *t;
            /* Multi-word, or a glossary stem (xc_dbw_add_translation()),
             * which the TermGenerator already adds where the word is. */
            if (one.find(' ') != std::string::npos || one[0] == 'Z')
                continue;
            ph.terms.push_back(one);
            ph.terms.push_back("Z" + w->stem(one));
        }
        if (ph.terms.empty())
            continue;
        size_t start = 0;
        while (start <= key.size()) {
            size_t end = key.find(' ', start);
            if (end == std::string::npos)
                end = key.size();
            if (end > start)
                ph.words.push_back(key.substr(start, end - start));
            start = end + 1;
        }
        w->phrase_words.insert(w->phrase_words.end(), ph.words.begin(),
                               ph.words.end());
        w->phrases.push_back(std::move(ph));
    }
    std::sort(w->phrase_words.begin(), w->phrase_words.end());
    w->phrase_words.erase(
        std::unique(w->phrase_words.begin(), w->phrase_words.end()),
        w->phrase_words.end());
    w->phrases_loaded = true;
}

static void
add_phrase_terms(xc_dbw_t *w)
{
    if (!w->phrases_loaded)
        load_phrases(w);
    if (w->phrases.empty())
        return;
    /* One merge of the document's sorted terms with the sorted phrase
     * words collects the positions that can matter. */
    std::map<std::string, std::vector<Xapian::termpos>> pos;
    auto word = w->phrase_words.begin();
    for (auto t = w->doc.termlist_begin();
         t != w->doc.termlist_end() && word != w->phrase_words.end(); ++t) {
        std::string term = *t;
        while (word != w->phrase_words.end() && *word < term)
            ++word;
        if (word != w->phrase_words.end() && *word == term)
            pos[term].assign(t.positionlist_begin(), t.positionlist_end());
    }
    for (const phrase_terms_t &ph : w->phrases) {
        const std::vector<Xapian::termpos> *first = nullptr;
        bool all = true;
        for (const std::string &wd : ph.words) {
            auto f = pos.find(wd);
            if (f == pos.end() || f->second.empty()) {
                all = false;
                break;
            }
            if (!first)
                first = &f->second;
        }
        if (!all)
            continue;
        for (Xapian::termpos p : *first) {
            bool here = true;
            for (size_t i = 1; i < ph.words.size() && here; i++) {
                const std::vector<Xapian::termpos> &v = pos[ph.words[i]];
                here = std::binary_search(v.begin(), v.end(),
                                          p + static_cast<Xapian::termpos>(i));
            }
            if (!here)
                continue;
            for (const std::string &t : ph.terms) {
                if (t[0] == 'Z')
                    w->doc.add_term(t);
                else
                    w->doc.add_posting(t, p);
            }
        }
    }
}

xc_status_t
xc_dbw_end_doc(xc_dbw_t *w)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!w->in_doc)
        return invalid(w->err, "xc_dbw_end_doc: no document begun");
    try {
        std::string idterm = hash_term(XC_PREFIX_ID + w->id);
        w->in_doc = false;
        add_phrase_terms(w);
        if (w->db.get_doccount() == 0
            && w->db.get_metadata(XC_META_PHRASE_TERMS).empty())
            w->db.set_metadata(XC_META_PHRASE_TERMS, "1");
        w->doc.add_boolean_term(idterm);
        w->db.replace_document(idterm, w->doc);
        w->doc = Xapian::Document();
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_delete_doc(xc_dbw_t *w, const char *id)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!id || !*id)
        return invalid(w->err, "xc_dbw_delete_doc: NULL or empty id");
    try {
        w->db.delete_document(hash_term(XC_PREFIX_ID + std::string(id)));
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_get_data(xc_dbw_t *w, const char *id, char **out)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!id || !out)
        return invalid(w->err, "xc_dbw_get_data: NULL argument");
    *out = nullptr;
    try {
        Xapian::Document doc;
        if (!find_doc(w->db, id, &doc)) {
            w->err = std::string("no document with id ") + id;
            return XC_ERR_NOT_FOUND;
        }
        *out = dup_bytes(doc.get_data());
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_get_value(xc_dbw_t *w, const char *id, unsigned slot, char **value,
                 size_t *len)
{
    if (!w)
        return XC_ERR_INVALID;
    return get_value_of(w->db, w->err, id, slot, value, len);
}

/* The ids are collected before the first callback, so @cb may delete or
 * replace documents (ix_writer_delete_unseen() does) without disturbing a
 * live term iterator. */
xc_status_t
xc_dbw_foreach_id(xc_dbw_t *w, xc_id_cb cb, void *rock)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!cb)
        return invalid(w->err, "xc_dbw_foreach_id: NULL callback");
    try {
        std::vector<std::string> ids;
        const std::string p = XC_PREFIX_ID;
        for (auto t = w->db.allterms_begin(p); t != w->db.allterms_end(p);
             ++t)
            ids.push_back((*t).substr(p.size()));
        for (const auto &id : ids) {
            if (cb(id.c_str(), rock))
                break;
        }
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_set_metadata(xc_dbw_t *w, const char *key, const char *value)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!key || !*key)
        return invalid(w->err, "xc_dbw_set_metadata: NULL or empty key");
    try {
        w->db.set_metadata(key, value ? value : "");
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_get_metadata(xc_dbw_t *w, const char *key, char **value)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!key || !*key || !value)
        return invalid(w->err, "xc_dbw_get_metadata: NULL or empty key");
    *value = nullptr;
    try {
        *value = dup_bytes(w->db.get_metadata(key));
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
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
    if (w->db.get_doccount() > 0)
        w->db.set_metadata(XC_META_PHRASE_TERMS, "0");
}

xc_status_t
xc_dbw_add_synonym(xc_dbw_t *w, const char *term, const char *synonym)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!term || !synonym)
        return invalid(w->err, "xc_dbw_add_synonym: NULL argument");
    try {
        std::string key = normalize_words(term);
        std::string value = normalize_words(synonym);
        if (key.empty() || value.empty())
            return invalid(w->err, "xc_dbw_add_synonym: no words");
        if (key != value) {
            w->db.add_synonym(key, value);
            synonyms_changed(w);
        }
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

/* The words of @text, lower-cased, unstemmed, in order. */
static std::vector<std::string>
split_words(const std::string &text)
{
    std::vector<std::string> words;
    std::string norm = normalize_words(text);
    size_t start = 0;
    while (start < norm.size()) {
        size_t end = norm.find(' ', start);
        if (end == std::string::npos)
            end = norm.size();
        if (end > start)
            words.push_back(norm.substr(start, end - start));
        start = end + 1;
    }
    return words;
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
    if (!w)
        return XC_ERR_INVALID;
    if (!term || !translation)
        return invalid(w->err, "xc_dbw_add_translation: NULL argument");
    try {
        std::vector<std::string> from = split_words(term);
        std::vector<std::string> to = split_words(translation);
        std::unique_ptr<const Xapian::Stopper> stop(make_stopper());
        std::string key, value;
        if (from.size() == 1) {
            key = "Z" + w->stem(from[0]);
        } else {
            for (const auto &word : from)
                key += (key.empty() ? "" : " ") + xc_lemma::fold(word);
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
            if (xc_lemma::is_cyrillic(word))
                w->db.add_spelling(xc_lemma::fold(word));
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

xc_status_t
xc_dbw_clear_synonyms(xc_dbw_t *w, const char *term)
{
    if (!w)
        return XC_ERR_INVALID;
    if (!term)
        return invalid(w->err, "xc_dbw_clear_synonyms: NULL term");
    try {
        std::string key = normalize_words(term);
        if (!key.empty()) {
            w->db.clear_synonyms(key);
            synonyms_changed(w);
        }
        return XC_OK;
    } catch (...) {
        return xc__fail(w->err, std::current_exception());
    }
}

/* ------------------------------------------------------------ Compaction */

/* The revision is raised by rewriting one metadata key: commits without a
 * change do not count.  Those commits skip fsync (DB_NO_SYNC); the last
 * one syncs, and with it the tables they touched. */
xc_status_t
xc_compact(const char *src, const char *dst, uint64_t above_revision,
           char **errmsg)
{
    if (errmsg)
        *errmsg = nullptr;
    if (!src || !dst) {
        set_errmsg(errmsg, "xc_compact: NULL argument");
        return XC_ERR_INVALID;
    }
    std::string err;
    try {
        Xapian::Database(src).compact(dst);
        const char *key = "ctmap:compacted";
        uint64_t rev;
        {
            Xapian::WritableDatabase w(dst, Xapian::DB_OPEN
                                                | Xapian::DB_NO_SYNC);
            rev = w.get_revision();
            for (uint64_t n = 0; rev < above_revision; n++) {
                w.set_metadata(key, std::to_string(n));
                w.commit();
                rev = w.get_revision();
            }
        }
        Xapian::WritableDatabase w(dst, Xapian::DB_OPEN);
        w.set_metadata(key, std::to_string(rev));
        w.commit();
        w.close();
        return XC_OK;
    } catch (...) {
        xc_status_t st = xc__fail(err, std::current_exception());
        set_errmsg(errmsg, err);
        return st;
    }
}
