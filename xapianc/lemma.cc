/* lemma.cc -- hunspell dictionary forms for the stemmer (see lemma.hh).
 *
 * One pair of hunspell handles serves the process: loading ru_RU takes a
 * third of a second, and a Hunspell object is not safe to share between
 * threads, so calls go through one mutex.  A cache of folded words keeps
 * the lock short: indexing asks for the same few thousand words again and
 * again, queries for a handful. */
#include "lemma.hh"

#include <hunspell.hxx>
#include <xapian.h>

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace xc_int {
namespace lemma {

namespace {

/* Debian's hunspell-ru and hunspell-en-us install here. */
const char DICT_DIR[] = "/usr/share/hunspell/";

/* British spellings and the American ones en_US knows, as substrings: a
 * rewrite is kept only when en_US accepts the result and did not accept
 * the word, so "exercise" or "acre" stay as they are. */
const struct {
    const char *british;
    const char *american;
} SPELLINGS[] = {
    {"isation", "ization"}, /* organisation */
    {"ise", "ize"},         /* organise, organised, organising */
    {"yse", "yze"},         /* analyse */
    {"our", "or"},          /* labour, behaviour */
    {"tre", "ter"},         /* centre, theatre */
    {"bre", "ber"},         /* fibre */
    {"ence", "ense"},       /* defence, offence, licence */
    {"ogue", "og"},         /* catalogue, dialogue */
    {"amme", "am"},         /* programme */
    {"ll", "l"},            /* travelled, counselling, labelled */
    {"ae", "e"},            /* paediatric */
    {"oe", "e"},            /* manoeuvre */
};

/* Folded words kept before the cache is emptied and refilled. */
const size_t CACHE_MAX = 1 << 18;

struct dicts {
    std::unique_ptr<Hunspell> ru, en;
    std::mutex lock;
    std::unordered_map<std::string, std::string> cache;
    /* Hunspell's suggestions by misspelt word: one costs milliseconds
     * (a fifth of scripts/bench/query's time before it was kept). */
    std::unordered_map<std::string, std::vector<std::string>> suggested;
};

bool
readable(const std::string &path)
{
    FILE *f = fopen(path.c_str(), "r");
    if (!f)
        return false;
    fclose(f);
    return true;
}

std::unique_ptr<Hunspell>
open_dict(const char *name)
{
    std::string base = std::string(DICT_DIR) + name;
    if (!readable(base + ".aff") || !readable(base + ".dic"))
        return nullptr;
    return std::unique_ptr<Hunspell>(
        new Hunspell((base + ".aff").c_str(), (base + ".dic").c_str()));
}

dicts &
get_dicts()
{
    /* Built on first use, never destroyed: worker threads may still stem
     * while the process exits. */
    static dicts *d = [] {
        dicts *n = new dicts();
        n->ru = open_dict("ru_RU");
        n->en = open_dict("en_US");
        return n;
    }();
    return *d;
}

std::string
replace_all(std::string s, const std::string &from, const std::string &to)
{
    for (size_t at = s.find(from); at != std::string::npos;
         at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

/* Proper names are capitalised in ru_RU ("Кыргызстан"), so a word hunspell
 * does not know lower-cased is tried once more with a capital. */
std::string
capitalise(const std::string &word)
{
    Xapian::Utf8Iterator it(word);
    if (it == Xapian::Utf8Iterator())
        return word;
    std::string out;
    Xapian::Unicode::append_utf8(out, Xapian::Unicode::toupper(*it));
    ++it;
    out.append(it.raw(), it.left());
    return out;
}

std::string
fold_russian(Hunspell &ru, const std::string &word)
{
    std::vector<std::string> stems = ru.stem(word);
    if (stems.empty())
        stems = ru.stem(capitalise(word));
    if (stems.empty())
        return word;
    /* A word already in its dictionary form stays itself; otherwise the
     * first lemma hunspell gives, the same one for every case form. */
    std::string lemma = stems[0];
    for (const auto &s : stems)
        if (Xapian::Unicode::tolower(s) == word)
            lemma = s;
    return replace_all(Xapian::Unicode::tolower(lemma), "ё", "е");
}

std::string
fold_english(Hunspell &en, const std::string &word)
{
    if (word.size() < 4)
        return word;
    bool british = false;
    for (unsigned char c : word)
        if (c < 'a' || c > 'z')
            return word;
    /* Most words hold none of the British forms: no dictionary look-up
     * for them (snippets stem every word of a passage). */
    for (const auto &sp : SPELLINGS)
        british = british || word.find(sp.british) != std::string::npos;
    if (!british || en.spell(word))
        return word;
    for (const auto &sp : SPELLINGS) {
        std::string from = sp.british;
        for (size_t at = word.find(from); at != std::string::npos;
             at = word.find(from, at + 1)) {
            std::string cand = word;
            cand.replace(at, from.size(), sp.american);
            if (en.spell(cand))
                return cand;
        }
    }
    return word;
}

} /* namespace */

bool
is_cyrillic(const std::string &word)
{
    for (unsigned char c : word)
        if (c >= 0xD0 && c <= 0xD4)
            return true;
    return false;
}

bool
available()
{
    dicts &d = get_dicts();
    return d.ru && d.en;
}

bool
spelled(const std::string &word)
{
    dicts &d = get_dicts();
    Hunspell *h = is_cyrillic(word) ? d.ru.get() : d.en.get();
    if (!h)
        return false;
    std::lock_guard<std::mutex> hold(d.lock);
    return h->spell(word) || h->spell(capitalise(word));
}

std::vector<std::string>
suggest(const std::string &word)
{
    std::vector<std::string> out;
    dicts &d = get_dicts();
    Hunspell *h = is_cyrillic(word) ? d.ru.get() : d.en.get();
    if (!h || word.size() > SUGGEST_MAX)
        return out;
    std::lock_guard<std::mutex> hold(d.lock);
    auto hit = d.suggested.find(word);
    if (hit != d.suggested.end())
        return hit->second;
    for (const auto &s : h->suggest(word)) {
        std::string l = Xapian::Unicode::tolower(s);
        if (l != word && l.find_first_of(" -'") == std::string::npos)
            out.push_back(l);
    }
    if (d.suggested.size() >= CACHE_MAX / 16)
        d.suggested.clear();
    d.suggested.emplace(word, out);
    return out;
}

std::string
fold(const std::string &word)
{
    dicts &d = get_dicts();
    bool ru = is_cyrillic(word);
    if (ru ? !d.ru : !d.en)
        return word;
    std::string in = ru ? replace_all(word, "ё", "е") : word;
    std::lock_guard<std::mutex> hold(d.lock);
    auto hit = d.cache.find(in);
    if (hit != d.cache.end())
        return hit->second;
    std::string out = ru ? fold_russian(*d.ru, in) : fold_english(*d.en, in);
    if (d.cache.size() >= CACHE_MAX)
        d.cache.clear();
    d.cache.emplace(in, out);
    return out;
}

namespace {

const char *const OPERATORS[] = {"AND", "OR", "NOT", "XOR", "NEAR", "ADJ"};

bool
is_operator(const std::string &word)
{
    for (const char *op : OPERATORS)
        if (word == op)
            return true;
    return false;
}

/* "UNODC", "ИБТ": two letters or more, none of them lower-case. */
bool
all_upper(const std::string &word)
{
    unsigned upper = 0;
    for (Xapian::Utf8Iterator it(word); it != Xapian::Utf8Iterator(); ++it) {
        if (Xapian::Unicode::toupper(*it) != *it)
            return false;
        upper += Xapian::Unicode::tolower(*it) != *it;
    }
    return upper >= 2;
}

} /* namespace */

std::string
fold_query(const std::string &text,
           bool (*keep_case)(const std::string &lower, void *rock),
           void *rock)
{
    std::string out;
    bool quoted = false;
    bool field_value = false;   /* inside "name:value" after the colon */
    Xapian::Utf8Iterator it(text), end;

    while (it != end) {
        unsigned ch = *it;
        if (!Xapian::Unicode::is_wordchar(ch)) {
            if (ch == '"')
                quoted = !quoted;
            if (Xapian::Unicode::is_whitespace(ch))
                field_value = false;
            Xapian::Unicode::append_utf8(out, ch);
            ++it;
            continue;
        }
        std::string word;
        while (it != end && Xapian::Unicode::is_wordchar(*it)) {
            Xapian::Unicode::append_utf8(word, *it);
            ++it;
        }
        unsigned next = it != end ? *it : 0;
        std::string lower = Xapian::Unicode::tolower(word);
        bool literal = quoted || field_value || next == ':' || next == '*'
                       || is_operator(word)
                       || (all_upper(word) && keep_case
                           && keep_case(lower, rock));
        if (next == ':')
            field_value = true;
        out += literal ? word : fold(lower);
    }
    return out;
}

} /* namespace lemma */
} /* namespace xc_int */
