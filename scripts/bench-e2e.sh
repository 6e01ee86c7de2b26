#!/usr/bin/env bash
# End-to-end benchmark: a synthetic ~1 GB set between local Distribution
# registries, each Ferry step next to a baseline (cp, cat, sequential HTTP
# download, tar -x, dd) measured in the same run on the same machine.
# Usage: scripts/bench-e2e.sh [MiB]   (default 1000). Report: bench-out/report.txt
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${1:-1000}
OUT=$PWD/bench-out
rm -rf "$OUT" && mkdir -p "$OUT"
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

go build -o "$OUT/ferry" . && go build -o "$OUT/benchdata" ./tools/benchdata
FERRY="$OUT/ferry"
export XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config ACE_DT_CONFIG=

start_registry() { # name port
	mkdir -p "$WORK/$1"
	cat > "$WORK/$1.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $WORK/$1}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$2}
YML
	/usr/bin/docker-registry serve "$WORK/$1.yml" >"$WORK/$1.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do curl -fs "http://127.0.0.1:$2/v2/" >/dev/null && return 0; sleep 0.1; done
	echo "registry $1 did not start"; exit 1
}
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PA=$(port); start_registry a "$PA"
PB=$(port); start_registry b "$PB"
PC=$(port); start_registry c "$PC"
A=127.0.0.1:$PA B=127.0.0.1:$PB C=127.0.0.1:$PC

echo "Pushing the synthetic set ($MIB MiB) to $A ..."
"$OUT/benchdata" -registry "$A" -sources "$WORK/sources.list" -mib "$MIB"
BLOBDIR=$WORK/a/docker/registry/v2/blobs
BYTES=$(find "$BLOBDIR" -name data -type f -printf '%s\n' | awk '{s+=$1} END {print s}')

now() { date +%s.%N; }
# timed NAME CMD...: wall seconds and peak RSS (KiB) into the report rows
declare -A SECS RSS
timed() {
	local name=$1; shift
	local t0 t1
	t0=$(now)
	/usr/bin/time -f "%M" -o "$WORK/rss" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || { echo "$name failed:"; tail -20 "$WORK/$name.err"; exit 1; }
	t1=$(now)
	SECS[$name]=$(echo "$t1 - $t0" | bc -l)
	RSS[$name]=$(tail -1 "$WORK/rss")
}

# Baselines.
timed cp bash -c "mkdir -p '$WORK/cp' && find '$BLOBDIR' -name data -type f | while read -r f; do cp \"\$f\" '$WORK/cp/'\$(basename \$(dirname \"\$f\")); done"
timed cat bash -c "find '$BLOBDIR' -name data -type f -exec cat {} + > /dev/null"
DIGESTS=$(find "$BLOBDIR" -name data -type f | awk -F/ '{print $(NF-1)}')
timed http bash -c "for d in $DIGESTS; do curl -fs -o /dev/null http://$A/v2/bench/app02/blobs/sha256:\$d || curl -fs -o /dev/null http://$A/v2/bench/app00/blobs/sha256:\$d || true; done"

# Ferry.
timed gather "$FERRY" mirror gather "$WORK/sources.list" "$B/transfer/bench:sync-1"
timed serialize "$FERRY" mirror serialize "$B/transfer/bench:sync-1" "$WORK/bench.tar"
TARBYTES=$(stat -c %s "$WORK/bench.tar")
timed tarx bash -c "mkdir -p '$WORK/x' && tar -xf '$WORK/bench.tar' -C '$WORK/x'"
timed dd dd if="$WORK/bench.tar" of=/dev/null bs=1M
timed deserialize "$FERRY" mirror deserialize "$WORK/bench.tar" "$C/transfer/bench:sync-1"
timed scatter "$FERRY" mirror scatter "$C/transfer/bench:sync-1" "nest=$C/final"

mbs() { echo "scale=1; $1 / 1048576 / $2" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
{
	echo "Ferry end-to-end benchmark, $(date -u +%FT%TZ), $(nproc) cores"
	echo "blob bytes: $BYTES ($(echo "$BYTES/1048576" | bc) MiB), tar bytes: $TARBYTES"
	printf '%-12s %9s %10s %12s\n' step seconds MiB/s "peak RSS MiB"
	for s in cp cat http gather serialize dd tarx deserialize scatter; do
		b=$BYTES; [ "$s" = dd ] || [ "$s" = tarx ] || [ "$s" = deserialize ] && b=$TARBYTES
		printf '%-12s %9.2f %10s %12s\n' "$s" "${SECS[$s]}" "$(mbs "$b" "${SECS[$s]}")" "$(( ${RSS[$s]} / 1024 ))"
	done
	echo
	echo "gather / cp time:             $(ratio "${SECS[gather]}" "${SECS[cp]}")   (target <= 5)"
	echo "serialize / http time:        $(ratio "${SECS[serialize]}" "${SECS[http]}")   (target <= 1)"
	echo "deserialize / tar -x time:    $(ratio "${SECS[deserialize]}" "${SECS[tarx]}")   (target <= 4)"
	echo "peak RSS gather/serialize/deserialize MiB: $(( ${RSS[gather]} / 1024 )) / $(( ${RSS[serialize]} / 1024 )) / $(( ${RSS[deserialize]} / 1024 ))"
} | tee "$OUT/report.txt"
