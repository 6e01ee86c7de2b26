#!/usr/bin/env bash
# Screenshots of every page of the real desktop window under Xvfb, reached
# with the keyboard shortcuts (Alt+1..7), for docs/screenshots.
#
#   FERRY_BIN=build/bin/ferry bash tests/ui/window-pages.sh [OUT-DIR]
set -euo pipefail
bin=$(realpath "${FERRY_BIN:?set FERRY_BIN to the desktop binary}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:-$repo/docs/screenshots}")
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache
export DBUS_SESSION_BUS_ADDRESS=disabled: NO_AT_BRIDGE=1

if [[ ${PAGES_INNER-} != 1 ]]; then
  PAGES_INNER=1 exec xvfb-run -a -s "-screen 0 1280x800x24" bash "$0" "$out"
fi

"$bin" >"$tmp/app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 90); do
  import -window root "$tmp/probe.png" 2>/dev/null &&
    awk -v sd="$(convert "$tmp/probe.png" -format '%[fx:standard_deviation]' info:)" 'BEGIN { exit !(sd > 0.02) }' && break
  sleep 0.5
done
sleep 2
win=$(xdotool search --name '^Ferry$' | head -1)
n=1
for page in sources mapping transfer jobs history drives settings; do
  xdotool windowactivate --sync "$win" key --window "$win" "alt+$n" 2>/dev/null || xdotool key "alt+$n"
  sleep 1.5
  import -window root "$out/window-$page.png"
  echo "window-pages: $out/window-$page.png"
  n=$((n + 1))
done
