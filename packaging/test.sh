#!/bin/bash
# Acceptance test of `make package`'s files (run by make package-test, as root):
# checksums, lintian, then the .deb installed with dpkg on this machine, used
# (version, man page, bash completion) and removed and purged with no file
# left behind; then the headless binary (tests/package: no GTK linked, a
# gather, serialize, deserialize and scatter on real registries).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
OUT=${OUT:-build/package}
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
step() { echo "package-test: $*"; }

[ "$(id -u)" = 0 ] || fail "installing the .deb needs root"
shopt -s nullglob
debs=("$OUT"/ferry_*_amd64.deb) heads=("$OUT"/ferry-headless_*_linux_amd64)
shopt -u nullglob
[ ${#debs[@]} = 1 ] && [ ${#heads[@]} = 1 ] || fail "want one .deb and one headless binary in $OUT (make package)"
deb=${debs[0]} headless=${heads[0]}
version=$(dpkg-deb -f "$deb" Version)

scratch=$(mktemp -d)
installed=""
cleanup() {
	[ -z "$installed" ] || dpkg -P ferry >/dev/null 2>&1 || true
	rm -rf "$scratch"
}
trap cleanup EXIT

step "version.sh: git describe to Debian versions"
repo=$scratch/repo
mkdir -p "$repo/packaging" && cp packaging/version.sh "$repo/packaging/"
version_of() { (cd "$repo" && bash packaging/version.sh 2>&1); }
want() { got=$(version_of); [ "$got" = "$1" ] || fail "version.sh gives '$got', want '$1'"; }
(cd "$repo" && git init -q && git -c user.name=t -c user.email=t@t.invalid commit -q --allow-empty -m one \
	--date=2026-01-02T00:00:00Z && GIT_COMMITTER_DATE=2026-01-02T00:00:00Z git -c user.name=t -c user.email=t@t.invalid commit -q --amend --allow-empty -m one)
want "0~git20260102.$(git -C "$repo" rev-parse --short HEAD)"
git -C "$repo" tag v1.2.3 && want 1.2.3
git -C "$repo" -c user.name=t -c user.email=t@t.invalid commit -q --allow-empty -m two
want "1.2.3+1.g$(git -C "$repo" rev-parse --short HEAD)"
git -C "$repo" tag v1.3.0-rc1 && want 1.3.0~rc1
touch "$repo/new" && git -C "$repo" add new && want 1.3.0~rc1+dirty
git -C "$repo" tag -d v1.3.0-rc1 >/dev/null && git -C "$repo" tag release-x
if out=$(version_of); then fail "version.sh takes tag release-x: $out"; fi
grep -q 'no valid Debian version' <<<"$out" || fail "version.sh on tag release-x says: $out"

step "SHA256SUMS"
(cd "$OUT" && sha256sum --strict -c SHA256SUMS) || fail "SHA256SUMS does not match"
grep -q " $(basename "$deb")\$" "$OUT/SHA256SUMS" && grep -q " $(basename "$headless")\$" "$OUT/SHA256SUMS" ||
	fail "SHA256SUMS does not cover both files"

step "lintian $(basename "$deb")"
lint=0
lintian --fail-on error --pedantic --display-info "$deb" >"$scratch/lintian.txt" 2>&1 || lint=$?
grep -v '^running with root privileges' "$scratch/lintian.txt" || true
[ "$lint" = 0 ] || fail "lintian reports errors (exit status $lint)"

if dpkg-query -W -f='${Status}' ferry 2>/dev/null | grep -q 'installed'; then
	fail "a ferry package is installed already: remove it first (dpkg -P ferry)"
fi

# Which of the package's paths exist before it is installed: after purging,
# exactly those may remain.
dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' -e '/^\.\?$/d' >"$scratch/paths"
while read -r p; do [ -e "$p" ] && echo "$p"; done <"$scratch/paths" >"$scratch/before" || true

step "dpkg -i"
installed=1
dpkg -i "$deb" >"$scratch/dpkg.log" 2>&1 || { cat "$scratch/dpkg.log"; fail "dpkg -i"; }
dpkg -L ferry | grep -v '^/\.$' | sort >"$scratch/listed"
sort "$scratch/paths" | cmp -s - "$scratch/listed" || fail "dpkg -L differs from the package's contents"
while read -r p; do [ -e "$p" ] || fail "dpkg -L lists $p, which is not there"; done <"$scratch/listed"

export HOME=$scratch/home XDG_DATA_HOME=$scratch/home/data XDG_CONFIG_HOME=$scratch/home/config
mkdir -p "$HOME"
[ "$(command -v ferry)" = /usr/bin/ferry ] || fail "ferry is not /usr/bin/ferry on PATH"
got=$(ferry version)
[ "$got" = "ferry ${version%-*}" ] || fail "ferry version says '$got', want 'ferry ${version%-*}'"
step "ferry version: $got"

man -P cat ferry-mirror-serialize 2>/dev/null >"$scratch/man.txt" || fail "man ferry-mirror-serialize"
grep -q 'ferry mirror serialize IMAGE DEST' "$scratch/man.txt" || fail "man ferry-mirror-serialize lacks the synopsis"
for cmd in ferry ferry-mirror ferry-mirror-gather ferry-mirror-scatter ferry-ui ferry-version; do
	man -w "$cmd" >/dev/null 2>&1 || fail "no man page for $cmd"
done
step "man ferry-mirror-serialize: $(grep -c . "$scratch/man.txt") lines"

# The completion as an interactive bash loads it, completing `ferry mirror ser`.
completed=$(bash -c '
	source /usr/share/bash-completion/bash_completion
	source /usr/share/bash-completion/completions/ferry
	COMP_WORDS=(ferry mirror ser) COMP_CWORD=2 COMP_LINE="ferry mirror ser" COMP_POINT=16
	__start_ferry ferry ser mirror
	printf "%s\n" "${COMPREPLY[@]}"' 2>"$scratch/completion.err")
grep -qx 'serialize' <<<"$completed" || fail "bash completion of 'ferry mirror ser' gave: $completed $(cat "$scratch/completion.err")"
grep -q '#compdef ferry' /usr/share/zsh/vendor-completions/_ferry || fail "zsh completion is not a compdef file"
grep -q 'complete -c ferry' /usr/share/fish/vendor_completions.d/ferry.fish || fail "fish completion defines no completion"
step "bash completion of 'ferry mirror ser': $(tr '\n' ' ' <<<"$completed")"

step "dpkg -r, dpkg -P"
dpkg -r ferry >>"$scratch/dpkg.log" 2>&1 || { cat "$scratch/dpkg.log"; fail "dpkg -r"; }
[ ! -e /usr/bin/ferry ] || fail "dpkg -r left /usr/bin/ferry"
dpkg -P ferry >>"$scratch/dpkg.log" 2>&1 || { cat "$scratch/dpkg.log"; fail "dpkg -P"; }
installed=""
if dpkg-query -W -f='${Status}\n' ferry 2>/dev/null | grep -qv 'not-installed'; then
	fail "ferry is still known to dpkg after purging: $(dpkg-query -W -f='${Status}' ferry)"
fi
while read -r p; do [ -e "$p" ] && echo "$p"; done <"$scratch/paths" >"$scratch/after" || true
left=$(comm -13 <(sort "$scratch/before") <(sort "$scratch/after"))
[ -z "$left" ] || fail "left behind after dpkg -P: $left"
step "removed: no file left behind ($(wc -l <"$scratch/listed") paths checked)"

# The README's install, with no package source configured: apt can only
# take the file and the libraries already installed.
step "apt install ./$(basename "$deb") with no package source"
mkdir -p "$scratch/no-sources" && : >"$scratch/no-sources.list"
installed=1
(cd "$(dirname "$deb")" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	-o Dir::Etc::SourceList="$scratch/no-sources.list" -o Dir::Etc::SourceParts="$scratch/no-sources" \
	"./$(basename "$deb")") >"$scratch/apt.log" 2>&1 || { cat "$scratch/apt.log"; fail "apt install"; }
[ "$(dpkg-query -W -f='${Version}' ferry)" = "$version" ] || fail "apt install did not install ferry $version"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ferry >>"$scratch/apt.log" 2>&1 || { cat "$scratch/apt.log"; fail "apt purge"; }
installed=""

step "headless binary $(basename "$headless")"
FERRY_HEADLESS_BIN=$(realpath "$headless") FERRY_REQUIRE_REGISTRY=1 $GO test -tags package -count=1 -v ./tests/package/
