#!/bin/sh
# check-symbols.sh -- fails if libctmap_xapianc.a defines a strong global
# symbol that is neither part of the C API (xc_*) nor a C++ helper in
# namespace xc_int (mangled _ZN6xc_int..., which no C name can clash with).
#
# Usage: check-symbols.sh NM LIBRARY
# Weak symbols (W, V) are C++ template and inline instantiations that the
# linker merges; undefined ones (U, u) are references.  Everything else
# that nm -g lists as defined must be named xc_* or sit in xc_int: the
# helpers the .cc files share live there (xapianc-int.hh).  Under ASan each
# exported C global gets an ODR indicator, __odr_asan.NAME, named after it.
nm=${1:?usage: check-symbols.sh NM LIBRARY}
lib=${2:?usage: check-symbols.sh NM LIBRARY}

out=$("$nm" -g --defined-only "$lib") || exit 1
bad=$(printf '%s\n' "$out" |
      awk 'NF >= 3 && $2 !~ /^[WVwvUu]$/ && $3 !~ /^(__odr_asan\.)?xc_/ &&
             $3 !~ /^_Z(T[VIS])?N[KVr]*6xc_int/ { print }')
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
