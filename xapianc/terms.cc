/* terms.cc -- what indexing and querying must agree on: hashed long terms,
 * lower-casing, word splitting, the bilingual stemmer and the stopper. */
#include "xapianc-int.hh"
#include "lemma.hh"

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

std::vector<std::string>
split_spaces(const std::string &s)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (start < s.size()) {
        size_t end = s.find(' ', start);
        if (end == std::string::npos)
            end = s.size();
        if (end > start)
            parts.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    return parts;
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
    bool fold;

  public:
    explicit MixedStem(bool fold_words) : fold(fold_words) {}

    std::string
    operator()(const std::string &word) override
    {
        std::string form = fold ? lemma::fold(word) : word;
        return lemma::is_cyrillic(form) ? ru(form) : en(form);
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
    return Xapian::Stem(new MixedStem(true));
}

/* Positions and snippets stem every candidate word of a hit: through
 * hunspell that tripled the median of scripts/bench/query (a dictionary
 * look-up per new word form), so they take Snowball alone.  A Russian
 * case form Snowball splits, or a British spelling, is then not marked in
 * the snippet; xc_mset_positions() tries the full stemmer on Cyrillic
 * words, so the page is still the right one. */
Xapian::Stem
make_light_stem()
{
    return Xapian::Stem(new MixedStem(false));
}

/* A short English list: enough to keep "the" and "of" out of queries and
 * out of the stemmed terms, short enough that no content word is lost.
 * "and" and "or" are in it: only the capitals AND, OR, NOT are operators
 * (lower-case ones joined the words of titles and questions, "resilience
 * and regional cooperation", into a strict AND).  "no" and "not" stay out
 * of it because they carry meaning. */
const Xapian::Stopper *
make_stopper()
{
    static const char *const words[] = {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in",
        "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was",
        "were", "with",
    };
    auto *s = new Xapian::SimpleStopper(std::begin(words), std::end(words));
    return s->release();
}

} /* namespace xc_int */
