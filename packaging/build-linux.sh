#!/usr/bin/env bash
# Build the Linux bundle, its AppImage and its .deb:
#
#   packaging/build-linux.sh
#
# Outputs (version from onsembl_desktop/__init__.py):
#   dist/onsembl/                                 the bundle: onsembl, onsembl-agent, _internal/
#   dist/onsembl-desktop_VERSION_ARCH.deb         Debian/Ubuntu package
#   dist/Onsembl_Desktop-VERSION-ARCH.AppImage    if appimagetool is found (see below)
#   build/packaging/AppDir/                       what the AppImage is made of (runnable as is)
#
# Build dependencies go into their own venv (build/packaging-venv; not the app's venv): the app
# from this checkout, non-editable, plus PyInstaller. Needs python3 (a shared-library build, as
# distributions and actions/setup-python provide), dpkg-deb, and for the AppImage appimagetool
# on PATH or in $APPIMAGETOOL (packaging/fetch-appimagetool.sh downloads it; CI does that).
#
# Environment: PYTHON (default python3), ONSEMBL_PACKAGING_VENV, SKIP_DEB=1, SKIP_APPIMAGE=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="${ONSEMBL_PACKAGING_VENV:-$ROOT/build/packaging-venv}"
DIST="$ROOT/dist"
WORK="$ROOT/build/packaging"
export ONSEMBL_BUILD_DIR="$WORK"

step() { printf '\n== %s\n' "$*"; }

step "build environment: $VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
rm -rf "$ROOT/build/lib" "$ROOT"/build/bdist.*  # setuptools would copy stale files from here
"$VENV/bin/python" -m pip install -q "$ROOT[packaging]"
"$VENV/bin/python" -m pip install -q --no-deps --force-reinstall "$ROOT"  # this checkout, as is
VERSION="$("$VENV/bin/python" -c 'import onsembl_desktop; print(onsembl_desktop.__version__)')"
ARCH="$(uname -m)"
DEB_ARCH="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
echo "onsembl-desktop $VERSION ($ARCH)"

step "freeze (PyInstaller)"
rm -rf "$DIST/onsembl"
mkdir -p "$WORK"
(cd "$WORK" && "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK/pyinstaller" "$ROOT/packaging/onsembl.spec")
BUNDLE="$DIST/onsembl"
"$BUNDLE/onsembl" --version
"$BUNDLE/onsembl-agent" --version

RES="$ROOT/resources"
DESKTOP_ID="dev.onsembl.Desktop"
ICON_NAME="onsembl-desktop"

# install_tree PREFIX LIBDIR: the bundle in PREFIX/LIBDIR, commands in PREFIX/bin, desktop
# integration in PREFIX/share (the same layout for the AppDir's usr/ and the .deb's /usr).
install_tree() {
    local prefix="$1" libdir="$2"
    mkdir -p "$prefix/bin" "$prefix/share/applications" "$prefix/share/metainfo" \
        "$prefix/share/icons/hicolor/scalable/apps" "$(dirname "$prefix/$libdir")"
    cp -a "$BUNDLE" "$prefix/$libdir"
    for exe in onsembl onsembl-agent; do
        ln -sfn "$(realpath -m --relative-to="$prefix/bin" "$prefix/$libdir/$exe")" "$prefix/bin/$exe"
    done
    cp "$RES/linux/$DESKTOP_ID.desktop" "$prefix/share/applications/"
    sed "s|</component>|  <releases>\n    <release version=\"$VERSION\"/>\n  </releases>\n</component>|" \
        "$RES/linux/$DESKTOP_ID.metainfo.xml" > "$prefix/share/metainfo/$DESKTOP_ID.metainfo.xml"
    cp "$RES/icons/onsembl.svg" "$prefix/share/icons/hicolor/scalable/apps/$ICON_NAME.svg"
    for png in "$WORK"/icons/png/onsembl-*.png; do
        local size; size="$(basename "$png" .png)"; size="${size#onsembl-}"
        mkdir -p "$prefix/share/icons/hicolor/${size}x${size}/apps"
        cp "$png" "$prefix/share/icons/hicolor/${size}x${size}/apps/$ICON_NAME.png"
    done
}

if [ "${SKIP_DEB:-0}" != 1 ]; then
    step "Debian package"
    PKG="$WORK/deb"
    rm -rf "$PKG"
    install_tree "$PKG/usr" lib/onsembl-desktop
    mkdir -p "$PKG/usr/share/doc/onsembl-desktop" "$PKG/DEBIAN"
    "$VENV/bin/python" "$ROOT/packaging/linux_meta.py" copyright "$WORK/third_party_licenses.json" \
        > "$PKG/usr/share/doc/onsembl-desktop/copyright"
    GLIBC="$("$VENV/bin/python" "$ROOT/packaging/linux_meta.py" glibc "$BUNDLE")"
    SIZE_KB="$(du -sk "$PKG/usr" | cut -f1)"
    cat > "$PKG/DEBIAN/control" <<EOF
Package: onsembl-desktop
Version: $VERSION
Architecture: $DEB_ARCH
Maintainer: Onsembl <maintainers@onsembl.dev>
Installed-Size: $SIZE_KB
Depends: libc6 (>= $GLIBC), libfontconfig1, libfreetype6, libexpat1, libpng16-16 | libpng16-16t64, libbrotli1, libbz2-1.0, libgl1, libegl1, libx11-6, libx11-xcb1, libxau6, libxdmcp6, libxcb1, libxcb-cursor0, libxcb-glx0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-randr0, libxcb-render0, libxcb-render-util0, libxcb-shape0, libxcb-shm0, libxcb-sync1, libxcb-util1, libxcb-xfixes0, libxcb-xkb1, libxkbcommon0, libxkbcommon-x11-0, libdbus-1-3, libsystemd0, libgcrypt20, libgpg-error0, liblz4-1, libzstd1, liblzma5, libcap2, libbsd0, libmd0
Section: devel
Priority: optional
Homepage: https://onsembl.dev
Description: Desktop control center for AI coding agents
 Run and supervise many AI coding agents (Claude Code, Gemini CLI, Codex CLI
 or any shell command) from one window: live terminals, command queues,
 token usage and a searchable history. Includes the onsembl-agent wrapper.
EOF
    find "$PKG" -type d -exec chmod 0755 {} +
    DEB="$DIST/onsembl-desktop_${VERSION}_${DEB_ARCH}.deb"
    dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null
    echo "$DEB"
fi

if [ "${SKIP_APPIMAGE:-0}" != 1 ]; then
    step "AppImage"
    APPDIR="$WORK/AppDir"
    rm -rf "$APPDIR"
    install_tree "$APPDIR/usr" lib/onsembl
    cp "$RES/linux/$DESKTOP_ID.desktop" "$APPDIR/"
    cp "$WORK/icons/png/onsembl-256.png" "$APPDIR/$ICON_NAME.png"
    ln -sfn "$ICON_NAME.png" "$APPDIR/.DirIcon"
    install -m 0755 "$ROOT/packaging/linux/AppRun" "$APPDIR/AppRun"
    TOOL="${APPIMAGETOOL:-$(command -v appimagetool || true)}"
    if [ -n "$TOOL" ]; then
        APPIMAGE="$DIST/Onsembl_Desktop-$VERSION-$ARCH.AppImage"
        # APPIMAGE_EXTRACT_AND_RUN: appimagetool is an AppImage too; CI runners have no FUSE.
        APPIMAGE_EXTRACT_AND_RUN=1 ARCH="$ARCH" VERSION="$VERSION" \
            "$TOOL" --no-appstream "$APPDIR" "$APPIMAGE"
        echo "$APPIMAGE"
    else
        echo "appimagetool not found: AppDir left at $APPDIR (runs as $APPDIR/AppRun)."
        echo "Get it with packaging/fetch-appimagetool.sh (downloads; CI does this), then rerun."
    fi
fi

step "done"
du -sh "$BUNDLE"
