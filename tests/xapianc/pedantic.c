/* pedantic.c -- proves xapianc.h and schema.h are self-contained C11. */
#include "xapianc.h"
#include "schema.h"

/* One use of each kind of declaration, so the compiler checks them and the
 * translation unit is not empty (which -pedantic rejects). */
int xapianc_pedantic_check(void);

int
xapianc_pedantic_check(void)
{
    xc_search_opts_t opts = {0, 10, XC_SORT_DATE, NULL, 0, 0, NULL, 0};
    xc_hit_t hit = {0, 0, 0.0, 0, NULL};

    (void)hit;
    return (int)opts.limit + XC_SLOT_COUNT + (int)XC_MULTI_SEP +
           (xc_strerror(XC_OK) != NULL);
}
