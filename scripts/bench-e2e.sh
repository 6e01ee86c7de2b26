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
# Every blob once, from a repository that links it: "repo digest" lines.
REPOS=$WORK/a/docker/registry/v2/repositories
find "$REPOS" -path '*/_layers/sha256/*' -name link | awk -F/ '{d=$(NF-1); if (!seen[d]++) {for (i=1;i<=NF;i++) if ($i=="repositories") s=i; r=$(s+1); for (i=s+2; $i!="_layers"; i++) r=r"/"$i; print r, d}}' > "$WORK/blobs.txt"
timed httpnull bash -c "while read -r repo d; do curl -fs -o /dev/null http://$A/v2/\$repo/blobs/sha256:\$d; done < '$WORK/blobs.txt'"
# The same download landing in one file on the same disk, as serialize's tar does.
timed http bash -c "while read -r repo d; do curl -fs http://$A/v2/\$repo/blobs/sha256:\$d; done < '$WORK/blobs.txt' > '$WORK/download.bin'"

# The floor for deserialize: the same blobs uploaded one by one with curl.
timed upload bash -c "find '$BLOBDIR' -name data -type f | while read -r f; do d=\$(basename \$(dirname \$f)); loc=\$(curl -fsi -X POST http://$C/v2/baseline/blobs/uploads/ | tr -d '\\r' | awk 'tolower(\$1)==\"location:\" {print \$2}'); case \$loc in http*) ;; *) loc=http://$C\$loc;; esac; sep='?'; case \$loc in *\\?*) sep='&';; esac; curl -fs -X PUT -H 'Content-Type: application/octet-stream' --data-binary @\$f \"\$loc\${sep}digest=sha256:\$d\" >/dev/null; done"

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
	for s in cp cat httpnull http upload gather serialize dd tarx deserialize scatter; do
		b=$BYTES; [ "$s" = dd ] || [ "$s" = tarx ] || [ "$s" = deserialize ] && b=$TARBYTES
		printf '%-12s %9.2f %10s %12s\n' "$s" "${SECS[$s]}" "$(mbs "$b" "${SECS[$s]}")" "$(( ${RSS[$s]} / 1024 ))"
	done
	echo
	echo "gather / cp time:             $(ratio "${SECS[gather]}" "${SECS[cp]}")   (target <= 5)"
	echo "serialize / http time:        $(ratio "${SECS[serialize]}" "${SECS[http]}")   (target <= 1; http = sequential download of every blob into one file)"
	echo "serialize / http-null time:   $(ratio "${SECS[serialize]}" "${SECS[httpnull]}")   (the same download thrown away, no disk)"
	echo "deserialize / tar -x time:    $(ratio "${SECS[deserialize]}" "${SECS[tarx]}")   (target <= 4)"
	echo "deserialize / curl upload:    $(ratio "${SECS[deserialize]}" "${SECS[upload]}")   (the registry's own ingest rate is the floor)"
	echo "peak RSS gather/serialize/deserialize MiB: $(( ${RSS[gather]} / 1024 )) / $(( ${RSS[serialize]} / 1024 )) / $(( ${RSS[deserialize]} / 1024 ))"
} | tee "$OUT/report.txt"

# The buffered block writer next to dd bs=1M moving the same bytes (hot in
# the page cache) to the same places, with serialize's settings there (1 MiB
# blocks, no high water mark for files and non-tape devices) and a 64 MiB
# buffer (serialize's default budget, three quarters of which it gives the
# writer; with one or two chunks in use either way, the size does not show). To /dev/null a pass over the archive lasts some 50 ms, in which
# the buffer's first page faults and thread start-up weigh; the archive four
# times over (same bytes for both) shows the sustained rate. The tape
# setting (75 % mark) is shown too.
go build -o "$OUT/blockcopy" ./tools/blockcopy
for _ in 1 2 3 4; do cat "$WORK/bench.tar"; done > "$WORK/bench4.tar"
# Nothing left to write back: the kernel's writeback of earlier steps (and
# of bench4.tar) would throttle whoever writes the next file.
sync
cat "$WORK/bench.tar" > /dev/null
ddrate() { dd if="$1" of="$2" bs=1M 2>&1 | awk '/copied/ {v=$(NF-1); u=$NF; if (u=="GB/s") v*=1000; if (u=="kB/s") v/=1000; print v}'; }
bw() { "$OUT/blockcopy" -buffer 67108864 "$@"; }
# Best of six, in pairs whose order alternates: the first file written after
# the previous one is deleted often stalls on the file system, whoever writes it.
best() { sort -n | tail -1; }
pair() { # name src dst
	local out_bw=$3 out_dd=$3
	[ "$3" = /dev/null ] || { out_bw=$3.bw; out_dd=$3.dd; }
	if [ "$turn" = bw ]; then
		bw "$2" "$out_bw" >> "$WORK/bw.$1"; ddrate "$2" "$out_dd" >> "$WORK/dd.$1"
	else
		ddrate "$2" "$out_dd" >> "$WORK/dd.$1"; bw "$2" "$out_bw" >> "$WORK/bw.$1"
	fi
	[ "$3" = /dev/null ] || rm -f "$out_bw" "$out_dd"
}
turn=bw
for _ in 1 2 3 4 5 6; do
	pair null "$WORK/bench.tar" /dev/null
	pair null4 "$WORK/bench4.tar" /dev/null
	bw -hwm 75 "$WORK/bench4.tar" /dev/null >> "$WORK/bw.tape"
	pair file "$WORK/bench.tar" "$WORK/out"
	if [ "$turn" = bw ]; then turn=dd; else turn=bw; fi
done
rm -f "$WORK/bench4.tar"
line() { # label writer dd
	printf '%-34s %6.0f MB/s   dd bs=1M: %6.0f MB/s   ratio %.2f\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)"
}
{
	echo
	echo "block writer (target: at least 0.90 of dd)"
	line "to /dev/null, the archive:" "$(best < "$WORK/bw.null")" "$(best < "$WORK/dd.null")"
	line "to /dev/null, the archive x4:" "$(best < "$WORK/bw.null4")" "$(best < "$WORK/dd.null4")"
	line "to a file, the archive:" "$(best < "$WORK/bw.file")" "$(best < "$WORK/dd.file")"
	line "tape mark 75 %, /dev/null x4:" "$(best < "$WORK/bw.tape")" "$(best < "$WORK/dd.null4")"
} | tee -a "$OUT/report.txt"
