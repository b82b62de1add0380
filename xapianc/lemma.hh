/* lemma.hh -- dictionary forms of words before they are stemmed, shared
 * by the index and query sides of xapianc (internal to xapianc/).
 *
 * Snowball alone splits the case forms of the region's names
 * ("узбекистана" -> "узбекиста", "узбекистане" -> "узбекистан") and keeps
 * British and American spellings apart ("organisation" -> "organis",
 * "organization" -> "organ").  So a word first goes to its dictionary form
 * with hunspell (Debian's hunspell-ru and hunspell-en-us): a Russian word
 * to its lemma, a British spelling to the American one that en_US knows.
 * The stemmer then runs on that form.  Without the dictionaries the word is
 * left as it is (Snowball only), on both sides alike.
 */
#ifndef CTMAP_XAPIANC_LEMMA_HH
#define CTMAP_XAPIANC_LEMMA_HH

#include <string>
#include <vector>

namespace xc_int {
namespace lemma {

/* The dictionary form of @word (lower-case UTF-8, one word): the hunspell-ru
 * lemma of a Cyrillic word, lower-cased, with "ё" as "е"; the en_US
 * spelling of a British Latin word; otherwise @word.  Thread-safe. */
std::string fold(const std::string &word);

/* True when @word has a Cyrillic letter (U+0400..U+052F). */
bool is_cyrillic(const std::string &word);

/* @text (a query in Xapian's syntax) with every free word lower-cased and
 * folded (fold()), so that a capitalised word is stemmed like a lower-case
 * one and a Russian word in any case form meets the glossary's multi-word
 * keys, which the query parser looks up unstemmed.  Left as written:
 * operators (AND, OR, NOT, XOR, NEAR, ADJ), field names and their values
 * ("org:UNODC"), quoted phrases, wildcards ("terror*"), and upper-case
 * words ("FTF") for which @keep_case says so: the acronyms of the
 * vocabularies, whose exact form is their synonym key. */
std::string fold_query(const std::string &text,
                       bool (*keep_case)(const std::string &lower,
                                         void *rock),
                       void *rock);

/* Hunspell's corrections of the misspelt @word (lower-case, one word),
 * best first, lower-cased, one-word ones only; none for a word of more
 * than SUGGEST_MAX bytes (hunspell's cost grows with the length). */
const size_t SUGGEST_MAX = 24;
std::vector<std::string> suggest(const std::string &word);

/* True when hunspell's dictionary for @word's script accepts it (a
 * correctly spelt word, in any case form). */
bool spelled(const std::string &word);

/* True when the dictionaries were found and loaded. */
bool available();

} /* namespace lemma */
} /* namespace xc_int */

#endif /* CTMAP_XAPIANC_LEMMA_HH */
