/* shards.c -- what a response says about the shards of a stub index
 * (issue 18): a search that went without a shard that did not answer is
 * "partial", not an error, and /stats lists each shard's state. */
#include "searchd-int.h"

void
sd_shards_add(JsonBuilder *b, xc_mset_t *m, xc_db_t *db, gboolean each)
{
    unsigned total = 0, failed = 0;

    if (m)
        xc_mset_shards(m, &total, &failed);
    else
        xc_db_shards(db, &total, &failed);
    if (!total)
        return;
    json_builder_set_member_name(b, "partial");
    json_builder_add_boolean_value(b, failed > 0);
    json_builder_set_member_name(b, "shards");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "total");
    json_builder_add_int_value(b, total);
    json_builder_set_member_name(b, "failed");
    json_builder_add_int_value(b, failed);
    if (each) {
        json_builder_set_member_name(b, "each");
        json_builder_begin_array(b);
        for (unsigned i = 0; i < total; i++) {
            const char *where = NULL;
            int up = 0;

            if (xc_db_shard(db, i, &where, &up) != XC_OK)
                break;
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "shard");
            json_builder_add_string_value(b, where);
            json_builder_set_member_name(b, "state");
            json_builder_add_string_value(b, up ? "up" : "down");
            /* Whether its hits render from the local render records, or
             * cost a round trip each (README, "Beyond one machine"). */
            json_builder_set_member_name(b, "records");
            json_builder_add_boolean_value(b, xc_db_shard_records(db, i));
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
}
