#!/usr/bin/env bash
# The package as published (run after `npm run build`): the tarball holds only what a user needs,
# and publint (strict, suggestions included) and arethetypeswrong report nothing.
#   npm run lint:package
set -euo pipefail
cd "$(dirname "$0")/.."

for entry in dist/index.js dist/index.d.ts dist/index.mjs dist/index.d.mts; do
  [ -f "$entry" ] || { echo "check-package: $entry is missing; run npm run build first" >&2; exit 1; }
done

# What `npm pack` ships: the build's .js/.mjs/.d.ts/.d.mts, README, LICENSE, CHANGELOG, package.json.
# Packed once, of the dist/ already built (--ignore-scripts: prepack would build it again), and
# that tarball is what attw reads below.
PACKED=$(mktemp -d "${TMPDIR:-/tmp}/rch-check-package.XXXXXX")
trap 'rm -rf "$PACKED"' EXIT
npm pack --json --ignore-scripts --pack-destination "$PACKED" >"$PACKED/pack.json"
files=$(node -e '
  for (const f of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].files) console.log(f.path);
' "$PACKED/pack.json")
tarball=$(ls "$PACKED"/*.tgz)
unexpected=$(grep -vE '^(dist/.+\.(js|mjs|d\.ts|d\.mts)|README\.md|LICENSE|CHANGELOG\.md|package\.json)$' <<<"$files" || true)
if [ -n "$unexpected" ]; then
  echo "check-package: the tarball would ship files a user does not need:" >&2
  echo "$unexpected" >&2
  exit 1
fi
for needed in README.md LICENSE CHANGELOG.md package.json dist/index.js dist/index.mjs dist/index.d.ts dist/index.d.mts; do
  grep -qxF "$needed" <<<"$files" || { echo "check-package: the tarball lacks $needed" >&2; exit 1; }
done
if grep -qE '^dist/(tests|bench|example-app|src)/' <<<"$files"; then
  echo "check-package: dist/ holds a build of more than src/ (run npm run build, not tsc -p tsconfig.json)" >&2
  exit 1
fi
echo "check-package: tarball holds $(wc -l <<<"$files") files, all needed"

# publint exits 0 on suggestions even with --strict: any message at all is a failure here.
publint_out=$(npx --no-install publint --strict --level suggestion 2>&1) || { echo "$publint_out" >&2; exit 1; }
echo "$publint_out"
grep -q 'All good!' <<<"$publint_out" || { echo "check-package: publint reported something" >&2; exit 1; }

npx --no-install attw "$tarball" --format ascii
