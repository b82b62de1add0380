/* standalone.c -- runs a fuzz target's LLVMFuzzerTestOneInput() over files
 * without libFuzzer, so every test build compiles and exercises the
 * targets on their seed corpora even when CTMAP_FUZZ is off.
 *
 * Usage: fuzz_X_seeds [--suffix .EXT]... PATH...  Directories are walked
 * recursively; with --suffix only matching files run.  Exits 1 when no
 * input ran at all: a target without seeds tests nothing. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean
wanted(const char *path, GPtrArray *suffixes)
{
    if (suffixes->len == 0)
        return TRUE;
    for (guint i = 0; i < suffixes->len; i++) {
        if (g_str_has_suffix(path, g_ptr_array_index(suffixes, i)))
            return TRUE;
    }
    return FALSE;
}

static guint
run_path(const char *path, GPtrArray *suffixes)
{
    guint n = 0;

    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *name;

        for (name = dir ? g_dir_read_name(dir) : NULL; name;
             name = g_dir_read_name(dir))
            g_ptr_array_add(names, g_build_filename(path, name, NULL));
        /* A fixed order, so a failure reproduces. */
        g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
        for (guint i = 0; i < names->len; i++)
            n += run_path(g_ptr_array_index(names, i), suffixes);
        return n;
    }
    if (wanted(path, suffixes)) {
        g_autofree char *data = NULL;
        gsize len = 0;
        g_autoptr(GError) error = NULL;

        if (!g_file_get_contents(path, &data, &len, &error)) {
            g_printerr("standalone: %s\n", error->message);
            return 0;
        }
        /* An exact-size copy, so ASan sees reads past the end; never
         * NULL, as libFuzzer never passes NULL. */
        g_autofree guint8 *exact = g_malloc(len ? len : 1);

        memcpy(exact, data, len);
        LLVMFuzzerTestOneInput(exact, len);
        n++;
    }
    return n;
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) suffixes = g_ptr_array_new();
    guint n = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--suffix") == 0 && i + 1 < argc) {
            g_ptr_array_add(suffixes, argv[++i]);
            continue;
        }
        n += run_path(argv[i], suffixes);
    }
    g_print("standalone: %u input(s) ran\n", n);
    return n > 0 ? 0 : 1;
}
