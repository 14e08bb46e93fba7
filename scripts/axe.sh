#!/bin/sh
# axe-core (npm's accessibility engine) for the browser tests, pinned, into
# build/axe/node_modules/axe-core/.  Quiet and idempotent: nothing to do when
# that version is there.  npm comes with Node.js; Debian's npm package is the
# fallback when it is missing.
set -eu
VER=4.14.1
DEST=build/axe
PKG=$DEST/node_modules/axe-core/package.json
if [ -f "$PKG" ] && grep -q "\"version\": \"$VER\"" "$PKG"; then
	exit 0
fi
command -v npm >/dev/null 2>&1 || scripts/deps.sh npm
mkdir -p "$DEST"
npm install --prefix "$DEST" --no-save --no-audit --no-fund --silent "axe-core@$VER" >/dev/null
