#!/usr/bin/env bash
# Refresh the vendored copy of MathJax in _vendor/mathjax/ from the npm registry.
# The book's pages load MathJax from there, so formulas render with no network.
# We keep the one combined TeX+CHTML file and the pieces it loads at run time (fonts, menu,
# accessibility, TeX extensions): about 3 MB instead of the package's 24 MB.
set -euo pipefail
VERSION=3.2.2
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "mathjax@$VERSION" >/dev/null && tar xzf "mathjax-$VERSION.tgz")
src="$work/package/es5"
dest=_vendor/mathjax
rm -rf "$dest"
mkdir -p "$dest/output/chtml/fonts" "$dest/input/tex"
cp "$src/tex-chtml-full.js" "$dest/"
cp -r "$src/output/chtml/fonts/woff-v2" "$dest/output/chtml/fonts/"
cp -r "$src/ui" "$dest/"
cp -r "$src/input/tex/extensions" "$dest/input/tex/"
mkdir -p "$dest/a11y" && cp "$src"/a11y/{assistive-mml,semantic-enrich,complexity,explorer}.js "$dest/a11y/"
cp "$work/package/LICENSE" "$dest/LICENSE"
echo "MathJax $VERSION vendored into $dest ($(du -sh "$dest" | cut -f1))"
