#!/bin/sh
# check-symbols.sh -- fails if libctmap_xapianc.a defines a strong global
# symbol that is not part of the C API (xc_*).
#
# Usage: check-symbols.sh NM LIBRARY
# Weak symbols (W, V) are C++ template and inline instantiations that the
# linker merges; undefined ones (U, u) are references.  Everything else
# that nm -g lists as defined must be named xc_*: helper classes live in an
# anonymous namespace, which makes their symbols local.
nm=${1:?usage: check-symbols.sh NM LIBRARY}
lib=${2:?usage: check-symbols.sh NM LIBRARY}

out=$("$nm" -g --defined-only "$lib") || exit 1
bad=$(printf '%s\n' "$out" |
      awk 'NF >= 3 && $2 !~ /^[WVwvUu]$/ && $3 !~ /^xc_/ { print }')
count=$(printf '%s\n' "$out" | awk 'NF >= 3 && $3 ~ /^xc_/' | wc -l)
if [ -n "$bad" ]; then
    echo "non-xc_ strong global symbols in $lib:"
    printf '%s\n' "$bad"
    exit 1
fi
if [ "$count" -eq 0 ]; then
    echo "no xc_ symbols found in $lib"
    exit 1
fi
echo "ok: $count xc_ symbols, nothing else exported"
