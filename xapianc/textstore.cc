/* textstore.cc -- the full text of a document (XC_SLOT_TEXT), stored
 * deflated in blocks of whole passages and read back one passage at a
 * time. */
#include "xapianc-int.hh"

#include <zlib.h>

#include <algorithm>
#include <new>

namespace xc_int {

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

} /* namespace xc_int */
