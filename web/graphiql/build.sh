#!/bin/sh
# Rebuild GraphiQL's vendored files from the npm registry, pinned by package-lock.json:
#   cd web/graphiql && sh build.sh
# These are the very files Strawberry's GraphiQL page loads from a CDN (same versions, same bytes: their
# SHA-384 equals the integrity attributes of strawberry/static/graphiql.html), copied with their licences
# into the Python package, so that GraphiQL works offline. The page and its start-up script
# (api/static/graphiql/index.html, graphiql.js) are Markaz's own and need no build.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
out=../../api/static/graphiql/vendor
rm -rf "$out"
mkdir -p "$out"
cp node_modules/react/umd/react.production.min.js "$out/"
cp node_modules/react-dom/umd/react-dom.production.min.js "$out/"
cp node_modules/graphiql/graphiql.min.js node_modules/graphiql/graphiql.min.css "$out/"
cp node_modules/@graphiql/plugin-explorer/dist/index.umd.js "$out/plugin-explorer.umd.js"
cp node_modules/@graphiql/plugin-explorer/dist/style.css "$out/plugin-explorer.css"
explorer=node_modules/@graphiql/plugin-explorer/node_modules/graphiql-explorer
{
  echo "Files in this folder and their licences (all MIT). Rebuilt by web/graphiql/build.sh."
  echo
  for pkg in react react-dom graphiql @graphiql/plugin-explorer "$explorer"; do
    dir=$pkg
    [ -d "$dir" ] || dir=node_modules/$pkg
    node -e 'const p=require("./'"$dir"'/package.json"); console.log("== "+p.name+" "+p.version+" ("+p.license+")")'
  done
  echo
  echo "== react, react-dom: react.production.min.js, react-dom.production.min.js"
  cat node_modules/react/LICENSE
  echo
  echo "== graphiql (graphiql.min.*, which bundles its own dependencies) and @graphiql/plugin-explorer"
  echo "   (plugin-explorer.*), both from the graphql/graphiql repository, under its licence:"
  cat node_modules/graphiql/LICENSE
  echo
  echo "== graphiql-explorer, bundled into plugin-explorer.umd.js:"
  cat "$explorer/LICENSE"
} > "$out/LICENSE"
echo "vendored GraphiQL into $out:"
ls -l "$out"
