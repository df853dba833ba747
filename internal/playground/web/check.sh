#!/bin/sh
# Runs the unit tests of the playground's own sources, rebuilds the bundle
# from the lockfile and fails if the result differs from the committed
# internal/playground/dist, so CI catches both a stale dist and a build that
# is not reproducible.
#
# Needs Node 20+ and the npm registry; run from anywhere inside the repo.
set -eu

web=$(cd "$(dirname "$0")" && pwd)
dist=$(cd "$web/../dist" && pwd)
cd "$web"

node verify-lock.mjs
npm ci --no-audit --no-fund
node --test test/
npm run build

cd "$dist"
if ! git diff --exit-code --stat -- .; then
	echo "check.sh: internal/playground/dist differs from the rebuild; run 'npm ci && npm run build' in internal/playground/web and commit dist" >&2
	exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- .)
if [ -n "$untracked" ]; then
	echo "check.sh: the rebuild made files that are not committed:" >&2
	echo "$untracked" >&2
	exit 1
fi
echo "check.sh: dist is up to date and reproducible"
