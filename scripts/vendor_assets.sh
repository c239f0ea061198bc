#!/usr/bin/env bash
# Copy the JavaScript the web book serves itself from node_modules/ (installed by `npm ci` from
# package.json and package-lock.json, exact versions) into _vendor/, which Sphinx publishes as
# _static/ of the site. Only the pieces the pages load are copied:
#   mathjax/   the TeX + CommonHTML component (tex-chtml.js: TeX with the AMS macros, the menu and
#              assistive MathML; what else a page needs, it loads at run time: fonts, TeX extensions,
#              accessibility): about 3 MB of MathJax's 24 MB. The "full" file would add 170 kB to
#              every page for TeX packages the book does not use.
#   require/   require.js, the module loader the widget manager needs
#   widgets/   @jupyter-widgets/html-manager's embed-amd.js and the icon fonts it references
#              (woff2 and woff only; every browser that runs the book reads one of them)
# The copy is made in a temporary folder and moved into place, so _vendor/ is never half-written.
set -euo pipefail
cd "$(dirname "$0")/.."
nm=node_modules
for need in "$nm/mathjax/es5/tex-chtml.js" "$nm/requirejs/require.js" \
            "$nm/@jupyter-widgets/html-manager/dist/embed-amd.js"; do
    if [ ! -f "$need" ]; then
        echo "vendor_assets: $need is missing; run 'npm ci' first." >&2
        exit 1
    fi
done
tmp=$(mktemp -d _vendor.tmp.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

src=$nm/mathjax/es5
dest=$tmp/mathjax
mkdir -p "$dest/output/chtml/fonts" "$dest/input/tex" "$dest/a11y"
cp "$src/tex-chtml.js" "$dest/"
cp -r "$src/output/chtml/fonts/woff-v2" "$dest/output/chtml/fonts/"
cp -r "$src/ui" "$dest/"
cp -r "$src/input/tex/extensions" "$dest/input/tex/"
cp "$src"/a11y/{assistive-mml,semantic-enrich,complexity,explorer}.js "$dest/a11y/"
cp "$nm/mathjax/LICENSE" "$dest/LICENSE"

mkdir -p "$tmp/require"
cp "$nm/requirejs/require.js" "$tmp/require/"

mkdir -p "$tmp/widgets"
cp "$nm/@jupyter-widgets/html-manager/dist/embed-amd.js" "$tmp/widgets/"
cp "$nm/@jupyter-widgets/html-manager/dist/"*.woff2 "$nm/@jupyter-widgets/html-manager/dist/"*.woff "$tmp/widgets/"
cp "$nm/@jupyter-widgets/html-manager/dist/embed.js.LICENSE.txt" "$tmp/widgets/LICENSE.txt"

# The versions, for the record (the book build prints them).
node -e 'const l=require("./package-lock.json").packages;
  for (const p of ["mathjax","requirejs","@jupyter-widgets/html-manager"])
    console.log(p + " " + l["node_modules/" + p].version)' > "$tmp/VERSIONS"

rm -rf _vendor.old
[ -d _vendor ] && mv _vendor _vendor.old
mv "$tmp" _vendor
rm -rf _vendor.old
chmod 755 _vendor
echo "web assets vendored into _vendor/ ($(du -sh _vendor | cut -f1)): $(tr '\n' ' ' < _vendor/VERSIONS)"
