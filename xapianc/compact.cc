/* compact.cc -- copying an index into a compact one whose revision is
 * above a given one, so a reader's reopen() sees it as newer. */
#include "xapianc-int.hh"


using namespace xc_int;

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
    return guard_open(errmsg, [&]() -> xc_status_t {
        /* Docids kept: a sharded index's render records name them
         * (shards.cc). */
        Xapian::Database(src).compact(dst, Xapian::DBCOMPACT_NO_RENUMBER);
        const char *key = XC_META_COMPACTED;
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
    });
}
