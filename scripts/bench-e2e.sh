#!/usr/bin/env bash
# End-to-end benchmark: Ferry next to its peers (the reference ace-dt, crane,
# regctl) and to physical baselines (cp, cat, curl, tar -x), on the same
# synthetic image set between local Distribution registries, in one run:
# every step runs each tool in turn (the order rotates from round to round)
# on fresh repositories, BENCH_RUNS rounds, medians reported. Then one
# profiled run of each Ferry step (pprof CPU profiles, FERRY_CPUPROFILE).
#
# Settings (environment):
#   BENCH_MIB   MiB of layer data (default 200; the full set is 1000: 20 images, ~1 GB)
#   BENCH_RUNS  rounds (default 3)
#   ACEDT       the reference binary (default ../shared/peers/ace-dt); missing: left out
#   FERRY_BASE  another Ferry binary to set beside this one (column ferry-main)
#   BENCH_STEPS the steps whose peers and baselines run (default: all of
#               "gather serialize deserialize scatter"); Ferry runs every step,
#               since each makes the next one's input
#   BENCH_PROFILE=0     no pprof runs;  BENCH_BLOCKWRITER=0  no block writer section
#   CRANE_VERSION, REGCTL_VERSION  peers installed from the Go module proxy
# Report: build/bench/report.md (measurements: build/bench/record.tsv,
# profiles: build/bench/pprof/STEP.pprof and STEP.top).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GO=${GO:-go}
MIB=${BENCH_MIB:-200}
RUNS=${BENCH_RUNS:-3}
ACEDT=${ACEDT:-../shared/peers/ace-dt}
CRANE_VERSION=${CRANE_VERSION:-v0.22.1}
REGCTL_VERSION=${REGCTL_VERSION:-v0.11.7}
OUT=$ROOT/build/bench
BIN=$OUT/bin
mkdir -p "$BIN"
rm -rf "$OUT/pprof" "$OUT/logs" "$OUT/record.tsv" "$OUT/report.md"
mkdir -p "$OUT/pprof" "$OUT/logs"
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

echo "Building Ferry and the bench tools; installing crane $CRANE_VERSION and regctl $REGCTL_VERSION ..."
$GO build -o "$BIN/ferry" .
$GO build -o "$BIN/benchdata" ./tools/benchdata
$GO build -o "$BIN/benchrun" ./tools/benchrun
GOBIN=$BIN/crane-$CRANE_VERSION $GO install "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"
GOBIN=$BIN/regctl-$REGCTL_VERSION $GO install "github.com/regclient/regclient/cmd/regctl@$REGCTL_VERSION"
CRANE=$BIN/crane-$CRANE_VERSION/crane
REGCTL=$BIN/regctl-$REGCTL_VERSION/regctl
FERRY=$BIN/ferry
TOOLS=(ferry)
if [ -n "${FERRY_BASE:-}" ]; then
	[ -x "$FERRY_BASE" ] || { echo "FERRY_BASE=$FERRY_BASE is not an executable file"; exit 1; }
	FERRY_BASE=$(realpath "$FERRY_BASE")
	TOOLS+=(ferry-main)
fi
if [ -x "$ACEDT" ]; then
	ACEDT=$(realpath "$ACEDT")
	TOOLS+=(ace-dt)
else
	echo "ACEDT=$ACEDT is not an executable file: the reference is left out"
fi
TOOLS+=(crane regctl)
STEPS=" ${BENCH_STEPS:-gather serialize deserialize scatter} "
# peers STEP TOOL: whether TOOL runs in STEP (Ferry always does: each of its
# steps makes the next one's input).
peers() { [ "$2" = ferry ] || [[ $STEPS == *" $1 "* ]]; }

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
# a: the sources; b: gather's destination; c: deserialize's; d: scatter's.
PA=$(port); start_registry a "$PA"
PB=$(port); start_registry b "$PB"
PC=$(port); start_registry c "$PC"
PD=$(port); start_registry d "$PD"
A=127.0.0.1:$PA B=127.0.0.1:$PB C=127.0.0.1:$PC D=127.0.0.1:$PD
REGPIDS=$(IFS=,; echo "${PIDS[*]}")

echo "Pushing the synthetic set ($MIB MiB) to $A ..."
"$BIN/benchdata" -registry "$A" -sources "$WORK/sources-a.list" -mib "$MIB"
# Ferry and the reference read the sources under a registry name without a
# port, sent to A by their shared configuration: the reference cannot nest
# sources that carry a port (a known defect). crane and regctl read A itself.
ALIAS=src.example
sed "s#^$A/#$ALIAS/#" "$WORK/sources-a.list" > "$WORK/sources.list"
CONFIG=$WORK/config.yaml
{
	printf 'apiVersion: config.dt.act3-ace.io/v1alpha1\nkind: Configuration\nregistryConfig:\n  registries:\n'
	printf '    %s:\n      endpoints:\n        - http://%s\n' "$ALIAS" "$A"
	for h in "$A" "$B" "$C" "$D"; do printf '    %s:\n      endpoints:\n        - http://%s\n' "$h" "$h"; done
} > "$CONFIG"
BLOBDIR=$WORK/a/docker/registry/v2/blobs
BYTES=$(find "$BLOBDIR" -name data -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
# Every blob once, from a repository that links it: "repo digest" lines.
REPOS=$WORK/a/docker/registry/v2/repositories
find "$REPOS" -path '*/_layers/sha256/*' -name link | awk -F/ '{d=$(NF-1); if (!seen[d]++) {for (i=1;i<=NF;i++) if ($i=="repositories") s=i; r=$(s+1); for (i=s+2; $i!="_layers"; i++) r=r"/"$i; print r, d}}' > "$WORK/blobs.txt"

# Every tool gets a home of its own (ace-dt caches every blob it moves in
# its cache: a fresh one per run), and plain HTTP to the loopback registries.
HOMES=$WORK/homes
mkdir -p "$HOMES"
fresh_home() { # tool: prints the fresh home's path
	local h=$HOMES/$1
	rm -rf "$h" && mkdir -p "$h"
	if [ "$1" = regctl ]; then
		for r in "$A" "$B" "$C" "$D"; do HOME=$h "$REGCTL" registry set --tls disabled "$r" >/dev/null; done
	fi
	echo "$h"
}
# run STEP TOOL ROUND CMD...: one measured command in its tool's clean environment.
run() {
	local step=$1 tool=$2 round=$3; shift 3
	local h; h=$(fresh_home "$tool")
	local retry=()
	# The reference's gather sometimes fails with MANIFEST_BLOB_UNKNOWN when
	# two sources upload a shared layer at once on Distribution 2.8 (a known
	# defect of it): such a run is tried again, and the report says so.
	[ "$tool" = ace-dt ] && retry=(-retry-on "blob unknown to registry")
	env -i PATH="$PATH" HOME="$h" XDG_CACHE_HOME="$h/cache" XDG_DATA_HOME="$h/data" XDG_CONFIG_HOME="$h/config" \
		ACE_DT_CACHE_PATH="$h/cache/ace-dt" DOCKER_CONFIG="$h/docker" ACE_DT_CONFIG="$CONFIG" ${FERRY_CPUPROFILE:+FERRY_CPUPROFILE=$FERRY_CPUPROFILE} \
		"$BIN/benchrun" run -record "${RECORD:-$OUT/record.tsv}" -step "$step" -tool "$tool" -round "$round" -pids "$REGPIDS" \
		-log "$OUT/logs/$step-$tool-$round.log" "${retry[@]}" -- "$@"
}
bin_of() { case $1 in ferry) echo "$FERRY";; ferry-main) echo "$FERRY_BASE";; ace-dt) echo "$ACEDT";; esac; }
# The gather index's entries, "digest source" lines.
entries() { # registry/repo:tag
	local ref=$1 repo=${1%:*} tag=${1##*:}
	curl -fs -H 'Accept: application/vnd.oci.image.index.v1+json' "http://${repo%%/*}/v2/${repo#*/}/manifests/$tag" |
		python3 -c 'import json,sys; [print(m["digest"], m["annotations"]["vnd.act3-ace.manifest.source"]) for m in json.load(sys.stdin)["manifests"]]'
}
# loop TOOL LIST CMD: runs CMD (with $src and $dst set from each "src dst"
# line of LIST) one image after another: crane and regctl copy one image per call.
copy_each() { # tool list
	local cmd
	case $1 in
	crane) cmd="\"$CRANE\" copy \"\$src\" \"\$dst\"" ;;
	regctl) cmd="\"$REGCTL\" image copy \"\$src\" \"\$dst\"" ;;
	esac
	echo "while read -r src dst; do $cmd >/dev/null || exit 1; done < '$2'"
}
# links REGISTRY NAMESPACE: the layers and configs linked in the registry's
# repositories under NAMESPACE, each (repository, digest) once; manifests
# that a tool also uploaded as blobs (deserialize does, as the reference
# does) are not counted.
links() {
	local d=$WORK/$1/docker/registry/v2/repositories/$2
	[ -d "$d" ] || { echo 0; return; }
	find "$d" \( -path '*/_layers/sha256/*' -o -path '*/_manifests/revisions/sha256/*' \) -name link |
		awk -F/ '{k = $0 ~ /\/_layers\// ? "L" : "M"; r=$0; sub("/_(layers|manifests).*", "", r); s[r " " $(NF-1)] = s[r " " $(NF-1)] k}
			END {for (x in s) if (s[x] == "L") n++; print n+0}'
}
# rotate ROUND: the tools in this round's order.
rotate() {
	local n=${#TOOLS[@]} i
	for ((i = 0; i < n; i++)); do printf '%s\n' "${TOOLS[$(((i + $1) % n))]}"; done
}

for round in $(seq "$RUNS"); do
	echo "Round $round of $RUNS (order: $(rotate "$round" | tr '\n' ' '))"
	mapfile -t ORDER < <(rotate "$round")
	R=r$round
	GATHERED=$B/ferry-$R/bench:sync-1 # serialize's input for every tool
	STAGED=$C/ferry-$R/bench:sync-1   # scatter's input for every tool
	TAR=$WORK/ferry-$R.tar            # deserialize's input for every tool

	# gather
	peers gather cp && run gather cp "$round" bash -c "rm -rf '$WORK/cp' && mkdir -p '$WORK/cp' && find '$BLOBDIR' -name data -type f | while read -r f; do cp \"\$f\" '$WORK/cp/'\$(basename \$(dirname \"\$f\")); done"
	awk -v b="$B" -v r="$R" '{n=$1; sub(/.*\//, "", n); sub(/:.*/, "", n); print $1, b "/TOOL-" r "/bench:" n}' "$WORK/sources-a.list" > "$WORK/gather-pairs"
	for t in "${ORDER[@]}"; do
		peers gather "$t" || continue
		case $t in
		ferry | ferry-main | ace-dt) run gather "$t" "$round" "$(bin_of "$t")" mirror gather "$WORK/sources.list" "$B/$t-$R/bench:sync-1" ;;
		*) sed "s#/TOOL-#/$t-#" "$WORK/gather-pairs" > "$WORK/pairs-$t"
			run gather "$t" "$round" bash -c "$(copy_each "$t" "$WORK/pairs-$t")" ;;
		esac
	done

	# serialize, to a file and to /dev/null (Ferry and the reference)
	if peers serialize curl; then
	run serialize-file curl-file "$round" bash -c "while read -r repo d; do curl -fs http://$A/v2/\$repo/blobs/sha256:\$d; done < '$WORK/blobs.txt' > '$WORK/download.bin'"
	rm -f "$WORK/download.bin"
	run serialize-file curl-null "$round" bash -c "while read -r repo d; do curl -fs -o /dev/null http://$A/v2/\$repo/blobs/sha256:\$d; done < '$WORK/blobs.txt'"
	fi
	for t in "${ORDER[@]}"; do
		peers serialize "$t" || continue
		case $t in
		ferry) run serialize-file "$t" "$round" "$FERRY" mirror serialize "$GATHERED" "$TAR" ;;
		ferry-main | ace-dt) run serialize-file "$t" "$round" "$(bin_of "$t")" mirror serialize "$GATHERED" "$WORK/$t.tar"
			rm -f "$WORK/$t.tar" ;;
		esac
	done
	if peers serialize cat; then
	run serialize-null cat "$round" bash -c "find '$BLOBDIR' -name data -type f -exec cat {} + > /dev/null"
	run serialize-null curl-null "$round" bash -c "while read -r repo d; do curl -fs -o /dev/null http://$A/v2/\$repo/blobs/sha256:\$d; done < '$WORK/blobs.txt'"
	fi
	for t in "${ORDER[@]}"; do
		peers serialize "$t" || continue
		case $t in
		ferry | ferry-main | ace-dt) run serialize-null "$t" "$round" "$(bin_of "$t")" mirror serialize "$GATHERED" /dev/null ;;
		esac
	done

	# deserialize Ferry's tar: crane pushes the extracted layout, regctl imports the tar
	peers deserialize tar-x && run deserialize tar-x "$round" bash -c "rm -rf '$WORK/x' && mkdir -p '$WORK/x' && tar -xf '$TAR' -C '$WORK/x'"
	peers deserialize curl-upload && run deserialize curl-upload "$round" bash -c "find '$BLOBDIR' -name data -type f | while read -r f; do d=\$(basename \$(dirname \$f)); loc=\$(curl -fsi -X POST http://$C/v2/upload-$R/blobs/uploads/ | tr -d '\\r' | awk 'tolower(\$1)==\"location:\" {print \$2}'); case \$loc in http*) ;; *) loc=http://$C\$loc;; esac; sep='?'; case \$loc in *\\?*) sep='&';; esac; curl -fs -X PUT -H 'Content-Type: application/octet-stream' --data-binary @\$f \"\$loc\${sep}digest=sha256:\$d\" >/dev/null; done"
	for t in "${ORDER[@]}"; do
		peers deserialize "$t" || continue
		case $t in
		ferry | ferry-main | ace-dt) run deserialize "$t" "$round" "$(bin_of "$t")" mirror deserialize "$TAR" "$C/$t-$R/bench:sync-1" ;;
		crane) run deserialize "$t" "$round" "$CRANE" push --index "$WORK/x" "$C/$t-$R/bench:sync-1" ;;
		regctl) run deserialize "$t" "$round" "$REGCTL" image import "$C/$t-$R/bench:sync-1" "$TAR" ;;
		esac
	done
	rm -rf "$WORK/x"

	# scatter the staged gather to one repository per image in another registry
	peers scatter cp && run scatter cp "$round" bash -c "rm -rf '$WORK/cp' && mkdir -p '$WORK/cp' && find '$BLOBDIR' -name data -type f | while read -r f; do cp \"\$f\" '$WORK/cp/'\$(basename \$(dirname \"\$f\")); done"
	rm -rf "$WORK/cp"
	entries "$STAGED" > "$WORK/entries"
	for t in "${ORDER[@]}"; do
		peers scatter "$t" || continue
		case $t in
		ferry | ferry-main | ace-dt) run scatter "$t" "$round" "$(bin_of "$t")" mirror scatter "$STAGED" "nest=$D/$t-$R" ;;
		*) awk -v s="${STAGED%:*}" -v d="$D/$t-$R" '{print s "@" $1, d "/" $2}' "$WORK/entries" > "$WORK/pairs-$t"
			run scatter "$t" "$round" bash -c "$(copy_each "$t" "$WORK/pairs-$t")" ;;
		esac
	done
	[ "$round" = "$RUNS" ] || rm -f "$TAR"

	# The same bytes for every tool: each must have landed as many blobs
	# (layers and configs, linked in its repositories) as Ferry.
	for t in "${TOOLS[@]}"; do
		for s in "b gather" "c deserialize" "d scatter"; do
			set -- $s
			peers "$2" "$t" || continue
			n=$(links "$1" "$t-$R")
			want=$(links "$1" "ferry-$R")
			[ "$n" = "$want" ] || echo "$2 $t round $round: $n blobs landed, Ferry's $want" | tee -a "$WORK/mismatch"
		done
	done
done

# One profiled run of each Ferry step, on fresh repositories (not timed).
if [ "${BENCH_PROFILE:-1}" = 1 ]; then
	echo "Profiling each Ferry step (pprof CPU profiles in $OUT/pprof) ..."
	TAR=$WORK/ferry-r$RUNS.tar
	prof() { # step CMD...
		local step=$1; shift
		FERRY_CPUPROFILE=$OUT/pprof/$step.pprof RECORD=$WORK/prof.tsv run "$step" ferry 0 "$@"
		$GO tool pprof -top -nodecount=40 "$FERRY" "$OUT/pprof/$step.pprof" > "$OUT/pprof/$step.top" 2>/dev/null
		$GO tool pprof -top -cum -nodecount=40 "$FERRY" "$OUT/pprof/$step.pprof" > "$OUT/pprof/$step.cum.top" 2>/dev/null
	}
	prof gather "$FERRY" mirror gather "$WORK/sources.list" "$B/prof/bench:sync-1"
	prof serialize-file "$FERRY" mirror serialize "$B/prof/bench:sync-1" "$WORK/prof.tar"
	rm -f "$WORK/prof.tar"
	prof serialize-null "$FERRY" mirror serialize "$B/prof/bench:sync-1" /dev/null
	prof deserialize "$FERRY" mirror deserialize "$TAR" "$C/prof/bench:sync-1"
	prof scatter "$FERRY" mirror scatter "$C/prof/bench:sync-1" "nest=$D/prof"
fi

{
	echo "$(date -u +%FT%TZ), $(nproc) cores, $(uname -r); BENCH_MIB=$MIB, BENCH_RUNS=$RUNS; crane $CRANE_VERSION, regctl $REGCTL_VERSION${FERRY_BASE:+, ferry-main = $FERRY_BASE}."
	echo
	echo "crane and regctl copy one image per call, one after another (gather: into one repository, a tag per image; scatter: by digest from the staging repository); deserialize for crane is \`crane push --index\` of the extracted tar (its extraction is the tar-x limit, not counted), for regctl \`regctl image import\` of the tar. Serialize's limit is one sequential download of every blob with curl."
	echo
	echo "Repeat a profile: \`go tool pprof -top build/bench/bin/ferry build/bench/pprof/STEP.pprof\`; make one: \`FERRY_CPUPROFILE=FILE ferry mirror ...\`."
	if [ -s "$WORK/mismatch" ]; then
		echo
		echo "**The tools did not all land the same blobs** (counted in the registries' storage):"
		echo
		sed 's/^/- /' "$WORK/mismatch"
	fi
} > "$WORK/notes"
"$BIN/benchrun" report -record "$OUT/record.tsv" -bytes "$BYTES" -notes "$WORK/notes" \
	$([ "${BENCH_PROFILE:-1}" = 1 ] && echo "-pprof $OUT/pprof") > "$OUT/report.md"

# The buffered block writer next to dd bs=1M moving the same bytes (hot in
# the page cache) to the same places, with serialize's settings there (1 MiB
# blocks, no high water mark for files and non-tape devices) and a 64 MiB
# buffer (serialize's default budget, three quarters of which it gives the
# writer; with one or two chunks in use either way, the size does not show). To /dev/null a pass over the archive lasts some 50 ms, in which
# the buffer's first page faults and thread start-up weigh; the archive four
# times over (same bytes for both) shows the sustained rate. The tape
# setting (75 % mark) is shown too.
if [ "${BENCH_BLOCKWRITER:-1}" = 1 ]; then
	TAR=$WORK/ferry-r$RUNS.tar
	$GO build -o "$BIN/blockcopy" ./tools/blockcopy
	for _ in 1 2 3 4; do cat "$TAR"; done > "$WORK/bench4.tar"
	# Nothing left to write back: the kernel's writeback of earlier steps (and
	# of bench4.tar) would throttle whoever writes the next file.
	sync
	cat "$TAR" > /dev/null
	ddrate() { dd if="$1" of="$2" bs=1M 2>&1 | awk '/copied/ {v=$(NF-1); u=$NF; if (u=="GB/s") v*=1000; if (u=="kB/s") v/=1000; print v}'; }
	bw() { "$BIN/blockcopy" -buffer 67108864 "$@"; }
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
		pair null "$TAR" /dev/null
		pair null4 "$WORK/bench4.tar" /dev/null
		bw -hwm 75 "$WORK/bench4.tar" /dev/null >> "$WORK/bw.tape"
		pair file "$TAR" "$WORK/out"
		if [ "$turn" = bw ]; then turn=dd; else turn=bw; fi
	done
	rm -f "$WORK/bench4.tar"
	line() { # label writer dd
		printf '%-34s %6.0f MB/s   dd bs=1M: %6.0f MB/s   ratio %.2f\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)"
	}
	{
		echo
		echo "## Block writer (target: at least 0.90 of dd)"
		echo
		echo '```'
		line "to /dev/null, the archive:" "$(best < "$WORK/bw.null")" "$(best < "$WORK/dd.null")"
		line "to /dev/null, the archive x4:" "$(best < "$WORK/bw.null4")" "$(best < "$WORK/dd.null4")"
		line "to a file, the archive:" "$(best < "$WORK/bw.file")" "$(best < "$WORK/dd.file")"
		line "tape mark 75 %, /dev/null x4:" "$(best < "$WORK/bw.tape")" "$(best < "$WORK/dd.null4")"
		echo '```'
	} >> "$OUT/report.md"
fi
cat "$OUT/report.md"
echo "report: $OUT/report.md"
