#!/bin/bash
# Builds Ferry's release files into OUT (default build/package):
#   ferry_VERSION_amd64.deb              desktop build (window and CLI)
#   ferry-headless_VERSION_linux_amd64   CLI and browser UI, no GTK or WebKit
#   SHA256SUMS                           over both
# Needs the Debian packages of the Makefile's APT_PACKAGES (dpkg-dev, GTK and
# WebKit dev packages, imagemagick) and a built frontend/dist.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
OUT=${OUT:-build/package}
MAINTAINER=${MAINTAINER:-Ferry maintainers <maintainers@ferry.invalid>}
[ -f frontend/dist/index.html ] || { echo "build.sh: frontend/dist is not built (make frontend)" >&2; exit 1; }

VERSION=$(bash packaging/version.sh)
DEB_VERSION=$VERSION-1
# Dates in the package (man pages, changelog, file times) come from the
# commit, so the same commit builds the same files.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$OUT" "$root/DEBIAN"

# PIE, full RELRO, stack protector and fortified libc calls in the cgo
# parts: the hardening Debian expects of a binary (see dpkg-buildflags).
export CGO_CFLAGS="-O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2"
flags=(-buildmode=pie -ldflags "-w -s -X ferry/backend/version.Version=$VERSION -extldflags=-Wl,-z,relro,-z,now")
headless=$work/ferry-headless_${VERSION}_linux_amd64
echo "build.sh: building ferry $VERSION (desktop and headless)"
$GO build -tags desktop,production,webkit2_41 "${flags[@]}" -o "$root/usr/bin/ferry" .
$GO build -tags headless,production "${flags[@]}" -o "$headless"
# -s leaves the compiler's .comment section, which a package need not carry.
strip --remove-section=.comment "$root/usr/bin/ferry" "$headless"

# Man pages and completion come from the command tree of the binary itself.
man=$root/usr/share/man/man1
"$headless" docs man "$man"
gzip -9n "$man"/*.1
install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d"
"$headless" completion bash >"$root/usr/share/bash-completion/completions/ferry"
"$headless" completion zsh >"$root/usr/share/zsh/vendor-completions/_ferry"
"$headless" completion fish >"$root/usr/share/fish/vendor_completions.d/ferry.fish"

install -D -m644 build/linux/ferry.desktop "$root/usr/share/applications/ferry.desktop"
install -D -m644 build/appicon.svg "$root/usr/share/icons/hicolor/scalable/apps/ferry.svg"
install -d "$root/usr/share/icons/hicolor/256x256/apps"
convert -background none build/appicon.png -resize 256x256 -strip -define png:exclude-chunks=date,time \
	"$root/usr/share/icons/hicolor/256x256/apps/ferry.png"

doc=$root/usr/share/doc/ferry
fill() { sed -e "s|@DEB_VERSION@|$DEB_VERSION|g" -e "s|@MAINTAINER@|$MAINTAINER|g" -e "s|@COMMIT@|$COMMIT|g" \
	-e "s|@YEAR@|$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)|g" \
	-e "s|@DATE@|$(date -u -R -d "@$SOURCE_DATE_EPOCH")|g" "$@"; }
install -d "$doc"
fill packaging/copyright >"$doc/copyright"
fill packaging/changelog.in | gzip -9n >"$doc/changelog.Debian.gz"
install -D -m644 packaging/lintian-overrides "$root/usr/share/lintian/overrides/ferry"

# Depends: the libraries the binary links, versioned from their shlibs and
# symbols files, as dpkg-shlibdeps does for any Debian package.
mkdir -p "$work/src/debian"
printf 'Source: ferry\n\nPackage: ferry\nArchitecture: amd64\n' >"$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O "$root/usr/bin/ferry" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build.sh: dpkg-shlibdeps found no libraries" >&2; exit 1; }

fill packaging/control.in | sed -e "s|@DEPENDS@|$depends|" \
	-e "s|@INSTALLED_SIZE@|$(du -sk --exclude=DEBIAN "$root" | cut -f1)|" >"$root/DEBIAN/control"
(cd "$root" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod -R u+rwX,go+rX,go-w "$root"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

deb=ferry_${DEB_VERSION}_amd64.deb
rm -f "$OUT"/ferry_*_amd64.deb "$OUT"/ferry-headless_*_linux_amd64 "$OUT/SHA256SUMS"
dpkg-deb --root-owner-group -Zxz --build "$root" "$OUT/$deb" >/dev/null
mv "$headless" "$OUT/"
(cd "$OUT" && sha256sum "$deb" "$(basename "$headless")" >SHA256SUMS)
echo "build.sh: built in $OUT:"
sed 's/^/  /' "$OUT/SHA256SUMS"
