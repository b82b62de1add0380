/* error.cc -- the one place where a C++ exception becomes an xc_status_t
 * and a message, and the small helpers that hand results to C callers. */
#include "xapianc-int.hh"

#include <cstring>
#include <cstdlib>
#include <new>

namespace xc_int {

/* The one exception translator: every exported function that can throw
 * runs inside guard() (xapianc-int.hh), which calls this for what it caught.
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

} /* namespace xc_int */

using namespace xc_int;

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
