/* test_html.c -- activity HTML turned into lines of plain text, and the
 * italic titles found on the way.
 */
#include "corpus-test.h"

static void
expect_text(const char *html, const char *want)
{
    g_autofree char *got = corpus_html_to_text(html, NULL);

    cr_expect_str_eq(got, want, "html: %s", html);
}

Test(html, paragraphs_and_items_become_lines)
{
    expect_text("<p>One  two</p> <p>three</p><ul><li>a</li><li>b<br>c</li>"
                "</ul>", "One two\nthree\na\nb\nc");
}

Test(html, entities_are_decoded_and_space_collapsed)
{
    expect_text("<p>Crime &amp; justice&nbsp;&#8211;\t now &lt;3</p>",
                "Crime & justice – now <3");
}

Test(html, dash_and_bullet_markers_start_lines)
{
    expect_text("<ul style=\"list-style-type: none\"> - Improve the "
                "capacity; - Foster cooperation - Strengthen skills</ul>",
                "Improve the capacity;\nFoster cooperation\n"
                "Strengthen skills");
    expect_text("• Outcome 1: x. • Outcome 2: y.", "Outcome 1: x.\n"
                "Outcome 2: y.");
    expect_text("<ul> □ 16 University Modules □ a regional training</ul>",
                "16 University Modules\na regional training");
    expect_text("<ul style=\"x\">- Thematic regional workshop</ul>",
                "Thematic regional workshop");
}

Test(html, dashes_inside_sentences_stay)
{
    /* Outside a list, a dash after a word is punctuation ... */
    expect_text("<p>One of the Strategy’s priorities - Strengthening the "
                "systems</p>", "One of the Strategy’s priorities - "
                "Strengthening the systems");
    /* ... inside one, before a lower-case word too; glued hyphens never
     * mark items. */
    expect_text("<ul> - International IT - forum \"Impulse\"; - "
                "Gender- Sensitive</ul>",
                "International IT - forum \"Impulse\";\nGender- Sensitive");
    /* After sentence punctuation a dash starts an item anywhere. */
    expect_text("In Kazakhstan: - Returning fighters", "In Kazakhstan:\n"
                "Returning fighters");
}

Test(html, italic_spans_are_titles)
{
    g_autoptr(GPtrArray) titles = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *text = corpus_html_to_text(
        "<p>EU-FPI2 project “<i>Cross-border dialogue</i>” and "
        "<i> “Peaceful Villages (PVE)” </i>, <i>inter alia</i>, <i>ab</i>, "
        "<i>Policy Brief No. 56: Civil Society, http://x.org/a.pdf</i> "
        "<i>Cross-border dialogue</i></p>", titles);

    cr_assert_str_eq(text, "EU-FPI2 project “Cross-border dialogue” and "
                     "“Peaceful Villages (PVE)” , inter alia, ab, Policy "
                     "Brief No. 56: Civil Society, http://x.org/a.pdf "
                     "Cross-border dialogue");
    cr_assert_eq(titles->len, 3);
    cr_assert_str_eq(g_ptr_array_index(titles, 0), "Cross-border dialogue");
    cr_assert_str_eq(g_ptr_array_index(titles, 1),
                     "Peaceful Villages (PVE)");
    cr_assert_str_eq(g_ptr_array_index(titles, 2),
                     "Policy Brief No. 56: Civil Society");
}

Test(html, broken_markup_is_recovered)
{
    expect_text("</p>text <b>bold <i>both</p> more", "text bold both more");
    expect_text("<ul><li>open item", "open item");
    expect_text("", "");
    expect_text(NULL, "");
    expect_text("plain words only", "plain words only");
}
