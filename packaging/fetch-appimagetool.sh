#!/usr/bin/env bash
# Download appimagetool for packaging/build-linux.sh. Needs github.com, so it runs on CI (or any
# machine online); the build itself does not download anything. Prints the tool's path.
#
#   APPIMAGETOOL="$(packaging/fetch-appimagetool.sh)" packaging/build-linux.sh
#
# APPIMAGETOOL_URL overrides where it comes from (pin a release for reproducible builds).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARCH="${ARCH:-$(uname -m)}"
URL="${APPIMAGETOOL_URL:-https://github.com/AppImage/appimagetool/releases/download/continuous/appimagetool-$ARCH.AppImage}"
DEST="$ROOT/build/tools/appimagetool"
mkdir -p "$(dirname "$DEST")"
curl -fsSL --retry 3 -o "$DEST.part" "$URL"
chmod +x "$DEST.part"
mv "$DEST.part" "$DEST"
echo "$DEST"
