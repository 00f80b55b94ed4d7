#!/usr/bin/env bash
# Real images and footage for the vision tests, taken from Debian packages (the only
# registries this machine reaches) and checked by hash. They are not committed: the
# clip's licence is not stated file by file. Cached under test/fixtures/vision/.cache.
#   darknet:    usr/share/darknet/data/{person,horses,kite}.jpg  (MIT option of darknet's licence)
#   opencv-doc: usr/share/doc/opencv-doc/examples/data/vtest.avi (OpenCV sample clip, people walking)
set -euo pipefail
here="$(cd "$(dirname "$0")/../fixtures/vision" && pwd)"
cache="$here/.cache"
mkdir -p "$cache"
declare -A want=(
  [person.jpg]=darknet:./usr/share/darknet/data/person.jpg
  [horses.jpg]=darknet:./usr/share/darknet/data/horses.jpg
  [kite.jpg]=darknet:./usr/share/darknet/data/kite.jpg
  [vtest.avi]=opencv-doc:./usr/share/doc/opencv-doc/examples/data/vtest.avi
)
missing=()
for f in "${!want[@]}"; do [ -s "$cache/$f" ] || missing+=("$f"); done
if [ ${#missing[@]} -gt 0 ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  pkgs=$(for f in "${missing[@]}"; do echo "${want[$f]%%:*}"; done | sort -u)
  for pkg in $pkgs; do
    (cd "$work" && (apt-get download "$pkg" >/dev/null 2>&1 || { $SUDO apt-get update -qq && apt-get download "$pkg" >/dev/null; }))
  done
  for f in "${missing[@]}"; do
    pkg="${want[$f]%%:*}"
    path="${want[$f]#*:}"
    dpkg-deb --fsys-tarfile "$work/${pkg}"_*.deb | tar xO "$path" > "$cache/$f.tmp"
    mv "$cache/$f.tmp" "$cache/$f"
  done
fi
(cd "$cache" && sha256sum -c --quiet "$here/fixtures.sha256")
echo "vision-fixtures: ready in $cache"
