#!/bin/bash
# Prints Ferry's version as a Debian upstream version, from `git describe`:
#   v1.2.3             -> 1.2.3
#   v1.2.3-4-gabc1234  -> 1.2.3+4.gabc1234
#   v1.3.0-rc1         -> 1.3.0~rc1 (sorts before 1.3.0)
#   abc1234 (no tag)   -> 0~git20260101.abc1234 (commit date)
# "-dirty" becomes "+dirty". Without git it prints 0~dev.
set -euo pipefail
cd "$(dirname "$0")/.."
git rev-parse --git-dir >/dev/null 2>&1 || { echo 0~dev; exit 0; }
if d=$(git describe --tags --dirty 2>/dev/null); then
	v=$(sed -E 's/^v//; s/-([0-9]+)-g([0-9a-f]+)/+\1.g\2/; s/-dirty$/+dirty/; s/-/~/g' <<<"$d")
else
	d=$(git describe --always --dirty)
	v="0~git$(git log -1 --format=%cd --date=format:%Y%m%d).$(sed -E 's/-dirty$/+dirty/' <<<"$d")"
fi
dpkg --validate-version "$v-1" >/dev/null 2>&1 || { echo "version.sh: $d gives no valid Debian version ($v)" >&2; exit 1; }
echo "$v"
