#!/usr/bin/env bash
# Build "Onsembl Desktop.app" and its .dmg, on macOS (CI: .github/workflows/release.yml):
#
#   packaging/build-macos.sh
#
# Outputs: dist/Onsembl Desktop.app, dist/Onsembl_Desktop-VERSION-ARCH.dmg.
# Signing and notarization happen only when configured:
#   ONSEMBL_CODESIGN_IDENTITY  e.g. "Developer ID Application: Example Ltd (TEAMID)", in a keychain
#   ONSEMBL_NOTARY_PROFILE     a `xcrun notarytool store-credentials` profile, or else
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD (an app-specific password)
# Unsigned builds run after the user allows them (right-click > Open, or System Settings).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="${ONSEMBL_PACKAGING_VENV:-$ROOT/build/packaging-venv}"
DIST="$ROOT/dist"
WORK="$ROOT/build/packaging"
export ONSEMBL_BUILD_DIR="$WORK"
IDENTITY="${ONSEMBL_CODESIGN_IDENTITY:-}"
if [ -n "$IDENTITY" ]; then
    export ONSEMBL_ENTITLEMENTS="${ONSEMBL_ENTITLEMENTS:-$ROOT/packaging/macos/entitlements.plist}"
fi

step() { printf '\n== %s\n' "$*"; }

step "build environment: $VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
rm -rf "$ROOT/build/lib" "$ROOT"/build/bdist.*
"$VENV/bin/python" -m pip install -q "$ROOT[packaging]"
"$VENV/bin/python" -m pip install -q --no-deps --force-reinstall "$ROOT"
VERSION="$("$VENV/bin/python" -c 'import onsembl_desktop; print(onsembl_desktop.__version__)')"
ARCH="$(uname -m)"

step "freeze (PyInstaller)${IDENTITY:+, signed as $IDENTITY}"
rm -rf "$DIST/onsembl" "$DIST/Onsembl Desktop.app"
mkdir -p "$WORK"
(cd "$WORK" && "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK/pyinstaller" "$ROOT/packaging/onsembl.spec")
APP="$DIST/Onsembl Desktop.app"
"$APP/Contents/MacOS/onsembl" --version
"$APP/Contents/MacOS/onsembl-agent" --version
/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$APP/Contents/Info.plist"
if [ -n "$IDENTITY" ]; then
    codesign --verify --deep --strict --verbose=2 "$APP"
fi

step "disk image"
STAGE="$WORK/dmg"
rm -rf "$STAGE"
mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG="$DIST/Onsembl_Desktop-$VERSION-$ARCH.dmg"
rm -f "$DMG"
hdiutil create -volname "Onsembl Desktop $VERSION" -srcfolder "$STAGE" -fs HFS+ \
    -format UDZO -ov "$DMG" >/dev/null
if [ -n "$IDENTITY" ]; then
    codesign --force --sign "$IDENTITY" --timestamp "$DMG"
    if [ -n "${ONSEMBL_NOTARY_PROFILE:-}" ]; then
        xcrun notarytool submit "$DMG" --keychain-profile "$ONSEMBL_NOTARY_PROFILE" --wait
        xcrun stapler staple "$DMG"
    elif [ -n "${APPLE_ID:-}" ]; then
        xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
            --password "$APPLE_APP_PASSWORD" --wait
        xcrun stapler staple "$DMG"
    fi
fi
echo "$DMG"
du -sh "$APP"
