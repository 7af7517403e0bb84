#!/usr/bin/env bash
# The package as published (run after `npm run build`): the tarball holds only what a user needs,
# and publint (strict, suggestions included) and arethetypeswrong report nothing.
#   npm run lint:package
set -euo pipefail
cd "$(dirname "$0")/.."

for entry in dist/index.js dist/index.d.ts dist/index.mjs dist/index.d.mts; do
  [ -f "$entry" ] || { echo "check-package: $entry is missing; run npm run build first" >&2; exit 1; }
done

# What `npm pack` would ship: the build's .js/.mjs/.d.ts/.d.mts, README, LICENSE, CHANGELOG, package.json.
files=$(npm pack --dry-run --json --ignore-scripts | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    for (const f of JSON.parse(s)[0].files) console.log(f.path);
  });')
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

npx --no-install attw --pack . --format ascii
