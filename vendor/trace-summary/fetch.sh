#!/bin/sh
# Fetch the pinned upstream trace-summary from Debian's package and verify it.
# Writes vendor/trace-summary/bin/trace-summary and vendor/trace-summary/copyright
# (both git-ignored). Needs apt-get and dpkg-deb (Debian/Ubuntu).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/PIN"
for tool in apt-get dpkg-deb sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "fetch.sh: '$tool' not found; install $PACKAGE $VERSION by hand and point CONN_SUMMARY_TRACE_SUMMARY at it" >&2
        exit 1
    }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt's download sandbox user must be able to write here.
chmod 0777 "$work"
cd "$work"
if ! apt-get download -q "$PACKAGE=$VERSION" >/dev/null 2>download.err; then
    # A fresh machine may have an empty or stale package index.
    if [ "$(id -u)" = 0 ]; then
        echo "fetch.sh: refreshing the package index (apt-get update)" >&2
        apt-get update -qq >/dev/null
        apt-get download -q "$PACKAGE=$VERSION" >/dev/null
    else
        cat download.err >&2
        echo "fetch.sh: cannot download $PACKAGE=$VERSION; run 'sudo apt-get update' and then 'make setup' again" >&2
        exit 1
    fi
fi
dpkg-deb -x ./"${PACKAGE}"_*.deb extracted
echo "$SCRIPT_SHA256  extracted/usr/bin/trace-summary" | sha256sum -c --quiet - || {
    echo "fetch.sh: checksum mismatch for $PACKAGE $VERSION; refusing to install it" >&2
    exit 1
}
mkdir -p "$here/bin"
install -m 0755 extracted/usr/bin/trace-summary "$here/bin/trace-summary"
install -m 0644 extracted/usr/share/doc/trace-summary/copyright "$here/copyright"
echo "fetch.sh: installed $PACKAGE $VERSION into vendor/trace-summary/bin/" >&2
