#!/usr/bin/env bash
# Refresh the front-end libraries served from static/vendor/.
#
# The console must run with no CDN and under a strict Content-Security-Policy,
# so the few files the templates load are taken from the npm registry at the
# pinned versions below, checked against the registry's integrity hash and
# committed. Run from anywhere: scripts/vendor_static.sh
#
# To upgrade: pick a version with `npm view <pkg> versions`, then update the
# version and `npm view <pkg>@<version> dist.integrity` together.
set -euo pipefail

# htmx stays on 2.0.x on purpose: npm's "latest" is 4, whose API differs.
HTMX_VERSION="2.0.11"
HTMX_INTEGRITY="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
TABLER_VERSION="1.6.1"
TABLER_INTEGRITY="sha512-lgmR9gcxRp5JlLxcmRi9Rz85JrEvH6Bz71KnlcPVSa97wtwQNjgSs3g3fxwbAlulHyRMghhIV04QUuW3pqDsIg=="
CHARTJS_VERSION="4.6.1"
CHARTJS_INTEGRITY="sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g=="
ANNOTATION_VERSION="3.1.0"
ANNOTATION_INTEGRITY="sha512-EkAed6/ycXD/7n0ShrlT1T2Hm3acnbFhgkIEJLa0X+M6S16x0zwj1Fv4suv/2bwayCT3jGPdAtI9uLcAMToaQQ=="

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor_dir="$repo_root/static/vendor"
work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT

# Fetch one tarball, verify it and unpack it into $work_dir/<name>/package.
fetch() {
  local spec="$1" integrity="$2" name="$3"
  local tarball actual
  mkdir -p "$work_dir/$name"
  tarball="$(cd "$work_dir/$name" && npm pack --silent "$spec" 2>/dev/null | tail -n 1)"
  actual="sha512-$(openssl dgst -sha512 -binary "$work_dir/$name/$tarball" | base64 -w 0)"
  if [[ "$actual" != "$integrity" ]]; then
    echo "integrity mismatch for $spec: expected $integrity, got $actual" >&2
    exit 1
  fi
  tar -xzf "$work_dir/$name/$tarball" -C "$work_dir/$name"
}

# Copy a minified file without its sourceMappingURL comment: the .map files
# are not vendored, and ManifestStaticFilesStorage fails on a missing target.
copy_min() {
  local src="$1" dest="$2"
  sed -E '/^[[:space:]]*(\/\/# sourceMappingURL=.*|\/\*# sourceMappingURL=.*\*\/)[[:space:]]*$/d' "$src" >"$dest"
}

copy_license() {
  local package_dir="$1" dest="$2"
  local license
  license="$(find "$package_dir" -maxdepth 1 -iname 'licen[cs]e*' | head -n 1)"
  if [[ -z "$license" ]]; then
    echo "no LICENSE in $package_dir" >&2
    exit 1
  fi
  cp "$license" "$dest"
}

fetch "htmx.org@$HTMX_VERSION" "$HTMX_INTEGRITY" htmx
fetch "@tabler/core@$TABLER_VERSION" "$TABLER_INTEGRITY" tabler
fetch "chart.js@$CHARTJS_VERSION" "$CHARTJS_INTEGRITY" chartjs
fetch "chartjs-plugin-annotation@$ANNOTATION_VERSION" "$ANNOTATION_INTEGRITY" annotation

rm -rf "$vendor_dir"
mkdir -p "$vendor_dir/htmx" "$vendor_dir/tabler" "$vendor_dir/chartjs"

copy_min "$work_dir/htmx/package/dist/htmx.min.js" "$vendor_dir/htmx/htmx.min.js"
copy_license "$work_dir/htmx/package" "$vendor_dir/htmx/LICENSE"

tabler_pkg="$work_dir/tabler/package"
copy_min "$tabler_pkg/dist/css/tabler.min.css" "$vendor_dir/tabler/tabler.min.css"
copy_min "$tabler_pkg/dist/js/tabler.min.js" "$vendor_dir/tabler/tabler.min.js"
# Any web-font or CDN import would be fetched at runtime and blocked by the
# CSP; the shipped CSS has none today, but a future release must not sneak one in.
sed -i -E \
  -e 's#@import[[:space:]]+(url\()?["'"'"']?https?://[^;]*;##g' \
  -e 's#@font-face\{[^}]*https?://[^}]*\}##g' \
  "$vendor_dir/tabler/tabler.min.css"
if grep -Eq 'googleapis|@import|url\(["'"'"']?(https?:)?//' "$vendor_dir/tabler/tabler.min.css"; then
  echo "tabler.min.css still references an external resource" >&2
  exit 1
fi
# The npm tarball of @tabler/core ships no LICENSE file; its package.json says
# MIT and its banner carries the copyright, so write the MIT text from those.
if ! find "$tabler_pkg" -maxdepth 1 -iname 'licen[cs]e*' | grep -q .; then
  if [[ "$(node -p "require('$tabler_pkg/package.json').license")" != "MIT" ]]; then
    echo "@tabler/core is no longer MIT-licensed; review before vendoring" >&2
    exit 1
  fi
  {
    echo "The MIT License (MIT)"
    echo
    grep -m 2 -E '^ \* Copyright' "$tabler_pkg/dist/css/tabler.min.css" | sed -E 's/^ \* //'
    cat <<'MIT'

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
MIT
  } >"$vendor_dir/tabler/LICENSE"
else
  copy_license "$tabler_pkg" "$vendor_dir/tabler/LICENSE"
fi

copy_min "$work_dir/chartjs/package/dist/chart.umd.min.js" "$vendor_dir/chartjs/chart.umd.min.js"
copy_license "$work_dir/chartjs/package" "$vendor_dir/chartjs/LICENSE-chart.js.md"
copy_min "$work_dir/annotation/package/dist/chartjs-plugin-annotation.min.js" \
  "$vendor_dir/chartjs/chartjs-plugin-annotation.min.js"
copy_license "$work_dir/annotation/package" "$vendor_dir/chartjs/LICENSE-chartjs-plugin-annotation.md"

cat >"$vendor_dir/VERSIONS.txt" <<EOF
htmx.org@$HTMX_VERSION
@tabler/core@$TABLER_VERSION
chart.js@$CHARTJS_VERSION
chartjs-plugin-annotation@$ANNOTATION_VERSION
EOF

if grep -rl 'sourceMappingURL' "$vendor_dir" >/dev/null; then
  echo "a vendored file still references a source map" >&2
  exit 1
fi

du -ch "$vendor_dir"/*/* | tail -n 1 | sed "s#total#total in $vendor_dir#"
