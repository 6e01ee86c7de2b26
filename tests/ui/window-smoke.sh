#!/usr/bin/env bash
# Opens the desktop window under Xvfb, takes a screenshot of the screen and
# fails if it is blank (standard deviation at or below 0.02) or the app died.
#
#   FERRY_BIN=build/bin/ferry bash tests/ui/window-smoke.sh [OUT.png]
#
# OUT defaults to $FERRY_SHOTS/window.png (FERRY_SHOTS defaults to build/shots).
set -euo pipefail

bin=${FERRY_BIN:?set FERRY_BIN to the desktop binary}
[[ -x $bin ]] || { echo "window-smoke: $bin is not executable" >&2; exit 2; }
bin=$(realpath "$bin")
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-${FERRY_SHOTS:-$repo/build/shots}/window.png}
mkdir -p "$(dirname "$out")"
out=$(realpath -m "$out")

if [[ ${SMOKE_INNER-} == 1 ]]; then
  tmp=$SMOKE_TMP
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi
# A clean profile, and no session bus: otherwise each run leaves dbus daemons behind.
export XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache
export DBUS_SESSION_BUS_ADDRESS=disabled: NO_AT_BRIDGE=1
export FERRY_SMOKE_TIMEOUT=${FERRY_SMOKE_TIMEOUT:-45}

# Runs inside xvfb-run, with DISPLAY set: start, wait for a painted UI, shoot, stop.
inner() {
  local bin=$1 out=$2 log=$3 shot=$tmp/probe.png sd=0 app
  "$bin" >"$log" 2>&1 &
  app=$!
  stop() {
    kill "$app" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$app" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$app" 2>/dev/null || true
  }
  painted() {
    import -window root "$shot" 2>/dev/null || return 1
    sd=$(convert "$shot" -format '%[fx:standard_deviation]' info:)
    awk -v sd="$sd" 'BEGIN { exit !(sd > 0.02) }'
  }
  local deadline=$((SECONDS + FERRY_SMOKE_TIMEOUT))
  until painted; do
    if ! kill -0 "$app" 2>/dev/null; then
      echo "window-smoke: the app exited before drawing its window" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      cp "$shot" "$out" 2>/dev/null || true
      echo "window-smoke: screen still blank after ${FERRY_SMOKE_TIMEOUT}s (standard deviation $sd)" >&2
      stop
      return 1
    fi
    sleep 0.5
  done
  # The first paint may be the shell before data arrives; give the page a moment.
  sleep 2
  if ! kill -0 "$app" 2>/dev/null; then
    echo "window-smoke: the app exited after drawing its window" >&2
    return 1
  fi
  painted || true
  cp "$shot" "$out"
  stop
  echo "window-smoke: screenshot $out, standard deviation $sd"
  awk -v sd="$sd" 'BEGIN { exit !(sd > 0.02) }'
}
if [[ ${SMOKE_INNER-} == 1 ]]; then
  inner "$bin" "$out" "$tmp/app.log"
  exit
fi

# xvfb-run is a sh script and would drop exported bash functions: re-run this file instead.
if ! SMOKE_INNER=1 SMOKE_TMP=$tmp FERRY_BIN=$bin xvfb-run -a -s "-screen 0 1280x800x24" bash "$0" "$out"; then
  echo "--- app output (last 40 lines) ---" >&2
  tail -n 40 "$tmp/app.log" >&2 || true
  exit 1
fi
