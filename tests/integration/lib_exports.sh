#!/usr/bin/env bash
# libjetwire.so exports exactly the functions declared in lib/include/jetwire.h (version script
# lib/producer/libjetwire.map), and a program built against the shared library alone works.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/jw-exports.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
so=$ROOT/build/libjetwire.so
[ -f "$so" ] || { echo "FAIL: $so missing"; exit 1; }
# declarations: "type jw_name(" at the start of a line (not comments)
grep -oE '^[a-z0-9_ ]+\*?(jw_[a-z_]+)\(' "$ROOT/lib/include/jetwire.h" | sed -E 's/.*(jw_[a-z_]+)\(/\1/' \
  | sort -u > "$TMP/api"
nm -D --defined-only "$so" | awk '$2 == "T" || $2 == "W" { sub("@.*", "", $3); print $3 }' \
  | sort -u > "$TMP/exported"
echo "API: $(tr '\n' ' ' < "$TMP/api")"
[ -s "$TMP/api" ] || { echo "FAIL: no declarations found in jetwire.h"; exit 1; }
if ! diff -u "$TMP/api" "$TMP/exported"; then
  echo "FAIL: libjetwire.so exports differ from jetwire.h (- declared only, + exported only)"
  exit 1
fi
nm -D --defined-only "$so" | awk '$2 == "D" || $2 == "B" { print }' > "$TMP/data"
[ ! -s "$TMP/data" ] || { echo "FAIL: data symbols exported:"; cat "$TMP/data"; exit 1; }
cat > "$TMP/use.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "jetwire.h"
int main(void)
{
	jw_producer *p = NULL;
	struct jw_open_opts o;

	memset(&o, 0, sizeof(o));
	o.instance = "no-such-instance-for-exports-test";
	if (jw_open(&p, &o) == 0)
		return 1; /* no jetwire with that instance: must be refused */
	printf("%s\n", jw_strerror(JW_EAGAIN));
	return 0;
}
C
cc -I"$ROOT/lib/include" -o "$TMP/use" "$TMP/use.c" -L"$ROOT/build" -ljetwire
ln -s "$so" "$TMP/libjetwire.so.0"   # the soname, as make install lays it out
out=$(LD_LIBRARY_PATH=$TMP "$TMP/use")
[ -n "$out" ] || { echo "FAIL: no jw_strerror text"; exit 1; }
echo "PASS: libjetwire.so exports exactly the $(wc -l < "$TMP/api") functions of jetwire.h; a program linked with it runs ('$out')"
