/* terms.cc -- what indexing and querying must agree on: hashed long terms,
 * lower-casing, word splitting, the bilingual stemmer and the stopper. */
#include "xapianc-int.hh"

#include <cstdlib>
#include <memory>
#include <new>

#include <algorithm>

namespace xc_int {

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

std::string
slug(const std::string &s)
{
    std::unique_ptr<char, decltype(&free)> p(xc_slug(s.c_str()), &free);
    if (!p)
        throw std::bad_alloc();
    return std::string(p.get());
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
 * letter, English for everything else.  A word is Cyrillic when it has a
 * UTF-8 lead byte of U+0400..U+052F (0xD0..0xD4); words are already
 * lower-cased by the TermGenerator and the QueryParser. */
class MixedStem : public Xapian::StemImplementation {
    Xapian::Stem en{"english"};
    Xapian::Stem ru{"russian"};

  public:
    std::string
    operator()(const std::string &word) override
    {
        for (unsigned char c : word) {
            if (c >= 0xD0 && c <= 0xD4)
                return ru(word);
        }
        return en(word);
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

} /* namespace xc_int */
