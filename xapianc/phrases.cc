/* phrases.cc -- multi-word synonyms: rewritten into phrases at query time
 * (expand_phrases) and indexed as one-word terms at write time
 * (add_phrase_terms), so an acronym query needs no phrase check. */
#include "xapianc-int.hh"

#include <algorithm>

namespace xc_int {

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

    /* A multi-word key ("terrorist financing") comes back from the parser
     * as SYNONYM(words OR-ed, its synonyms): the query's own words then
     * count as one term as common as all of them together, which sank the
     * entries that hold both.  The words keep their own weights, beside
     * the group of their synonyms. */
    if (op == Xapian::Query::OP_SYNONYM && q.get_num_subqueries() >= 2
        && q.get_subquery(0).get_type() != Xapian::Query::LEAF_TERM) {
        std::vector<Xapian::Query> syns;
        for (size_t i = 1; i < q.get_num_subqueries(); i++)
            syns.push_back(q.get_subquery(i));
        Xapian::Query group =
            syns.size() == 1 ? syns[0]
                             : Xapian::Query(op, syns.begin(), syns.end());
        bool ignored = false;
        *changed = true;
        return Xapian::Query(
            Xapian::Query::OP_OR,
            expand_phrases(q.get_subquery(0), phrase_terms, &ignored),
            expand_phrases(group, phrase_terms, &ignored));
    }

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
        std::vector<std::string> words = split_spaces(t);
        *changed = true;
        if (t[0] == 'Z')
            return Xapian::Query(Xapian::Query::OP_AND, words.begin(),
                                 words.end());
        return Xapian::Query(Xapian::Query::OP_PHRASE, words.begin(),
                             words.end(), words.size());
    }
    if (!is_set_op(op))
        return q;
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

void
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

} /* namespace xc_int */
