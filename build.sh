#!/usr/bin/env bash
# Satchel's one entry point. Usage: ./build.sh [setup|build|serve|test|bench|package|clean]
#   serve    build everything, start the server with its SQLite file and demo data, print the URL
#   test     every test tier: native, the module in headless Chromium, end-to-end in Chromium
#   package  the npm package @satchel/engine for ERP front-ends, in dist/npm (docs/embedding.md)
# Every step installs what it needs when it is missing and skips what is already there.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
WASM_TARGET=wasm32-unknown-unknown
# The features rustc's wasm32 target emits; Debian's wasm-opt (v108) must be told them.
WASM_OPT_FEATURES=(--enable-bulk-memory --enable-sign-ext --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue)

log() { printf '\n==> %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wasm_bindgen_version() {
  # The CLI must match the wasm-bindgen crate pinned in Cargo.lock exactly.
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}

setup_rust() {
  rustup target list --installed | grep -qx "$WASM_TARGET" || { log "rustup target add $WASM_TARGET"; rustup target add "$WASM_TARGET"; }
  local want; want=$(wasm_bindgen_version)
  if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $want"; then
    log "cargo install wasm-bindgen-cli $want"
    # Not --locked: the CLI's own lockfile names a webpki-roots release that crates.io does not
    # serve here, so its dependencies are resolved afresh (the CLI itself is pinned exactly).
    cargo install wasm-bindgen-cli --version "$want"
  fi
  command -v wasm-opt >/dev/null || apt_install binaryen
}

setup_node() {
  command -v node >/dev/null || apt_install nodejs npm
  # npm ci only when the lockfile changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

setup_browser() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    apt_install chromium chromium-driver
  fi
}

# PostgreSQL for the server's tests: server/tests runs every scenario on SQLite and on PostgreSQL
# (SATCHEL_TEST_DATABASE_URL). Without that variable, `test` starts a throwaway server from the
# installed binaries and removes it on exit.
pg_bindir() {
  local d
  for d in /usr/local/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

setup_postgres() {
  [ -n "${SATCHEL_TEST_DATABASE_URL:-}" ] || pg_bindir >/dev/null || apt_install postgresql
}

PG_DIR= PG_USER= PG_BIN=
as_pg_user() { if [ -n "$PG_USER" ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }

stop_test_postgres() {
  [ -n "$PG_DIR" ] || return 0
  as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=
  unset SATCHEL_TEST_DATABASE_URL
}

start_test_postgres() {
  if [ -n "${SATCHEL_TEST_DATABASE_URL:-}" ]; then
    log "PostgreSQL for the server tests: the one SATCHEL_TEST_DATABASE_URL names"
    return
  fi
  PG_BIN=$(pg_bindir) || { echo "build.sh: no initdb/pg_ctl found (apt-get install postgresql)" >&2; exit 1; }
  PG_DIR=$(mktemp -d /tmp/satchel-pg.XXXXXX)
  trap stop_test_postgres EXIT
  trap 'exit 130' INT TERM
  # PostgreSQL refuses to run as root: then it runs as the postgres user (Debian's package
  # creates it), or nobody.
  if [ "$(id -u)" = 0 ]; then
    PG_USER=postgres
    id -u "$PG_USER" >/dev/null 2>&1 || PG_USER=nobody
    chown "$PG_USER" "$PG_DIR"
  fi
  # Unix socket only, in the private directory: no TCP port to find or to collide on. Durability
  # is off for the tests (the data lives for one run); the benchmarks set SATCHEL_PG_DURABLE=1 to
  # measure with fsync and synchronous commits, as a production server runs.
  local port=5432
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${SATCHEL_PG_DURABLE:-0}" = 1 ] && durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
  local pg_opts="-p $port -k $PG_DIR -c listen_addresses= $durability"
  as_pg_user "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
  as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -s \
    -o "$pg_opts" \
    start || { cat "$PG_DIR/server.log" >&2; exit 1; }
  export SATCHEL_TEST_DATABASE_URL="postgres://postgres@localhost:$port/postgres?host=$PG_DIR"
  log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') for the server tests: $PG_BIN, socket $PG_DIR/.s.PGSQL.$port${PG_USER:+, as $PG_USER}"
}

setup() { setup_rust; setup_node; }

build_wasm() {
  log "Wasm module (release, wasm-bindgen --target web, wasm-opt -Oz)"
  cargo build --profile wasm-release --target "$WASM_TARGET" -p satchel
  node www/wasm-size.mjs "target/$WASM_TARGET/wasm-release/satchel.wasm" --json target/wasm-size-satchel.json
  # wasm-opt runs BEFORE wasm-bindgen: Debian's wasm-opt 108 re-points wasm-bindgen's
  # `__wbindgen_externrefs` export at the funcref table, and the module then fails to start.
  local optimised="target/$WASM_TARGET/wasm-release/satchel.opt.wasm"
  wasm-opt -Oz "${WASM_OPT_FEATURES[@]}" "target/$WASM_TARGET/wasm-release/satchel.wasm" -o "$optimised"
  rm -rf www/pkg
  wasm-bindgen --target web --out-name satchel --out-dir www/pkg "$optimised"
}

build_engine() {
  log "Engine module for embedding (satchel-engine: release, wasm-opt -Oz, wasm-bindgen --target web)"
  cargo build --profile wasm-release --target "$WASM_TARGET" -p satchel-engine
  node www/wasm-size.mjs "target/$WASM_TARGET/wasm-release/satchel_engine.wasm" --json target/wasm-size-engine.json
  local optimised="target/$WASM_TARGET/wasm-release/satchel_engine.opt.wasm"
  wasm-opt -Oz "${WASM_OPT_FEATURES[@]}" "target/$WASM_TARGET/wasm-release/satchel_engine.wasm" -o "$optimised"
  rm -rf target/engine-pkg
  wasm-bindgen --target web --out-name engine --out-dir target/engine-pkg "$optimised"
}

# dist/npm: the engine module and, as its second entry point, the workspace module (www/pkg).
build_package() {
  build_engine
  log "npm package @satchel/engine (dist/npm)"
  node engine/package.mjs
}

package() {
  setup
  build_wasm
  build_package
}

build_www() {
  log "Type-check (TypeScript, including the module's generated .d.ts)"
  npx --no-install tsc -p tsconfig.json --noEmit
  log "PWA shell and service worker"
  node www/build.mjs
}

build() {
  setup
  build_wasm
  build_www
}

serve() {
  build
  log "Server (release)"
  cargo build --release -p satchel-server
  if [ "${1:-}" = "--tls" ]; then
    # HTTPS for phones on the LAN (a secure context is needed for WebCrypto and the service
    # worker): a development certificate in data/tls, made once; HTTPS on 8443, and plain
    # HTTP on 8080 redirecting to it. Phones must accept the certificate once (docs/operations.md).
    shift
    [ -f data/tls/cert.pem ] || target/release/satchel-server dev-cert --out data/tls
    exec target/release/satchel-server --www-dir "$ROOT/www/dist" --addr 0.0.0.0:8443 \
      --tls-cert data/tls/cert.pem --tls-key data/tls/key.pem --http-redirect-addr 0.0.0.0:8080 "$@"
  fi
  exec target/release/satchel-server --www-dir "$ROOT/www/dist" "$@"
}

check_core_is_pure() {
  log "core: no wasm-bindgen, js-sys or web-sys in its dependency tree; builds for $WASM_TARGET"
  if cargo tree -p satchel-core -e normal,build --target all --prefix none | grep -E '^(wasm-bindgen|js-sys|web-sys) '; then
    echo "satchel-core must not depend on browser crates" >&2
    exit 1
  fi
  cargo build -p satchel-core --target "$WASM_TARGET"
}

# The spec is the server: schemathesis against the running server (tests/api-fuzz/run.sh), on
# SQLite and on a fresh database of the test PostgreSQL (when build.sh started it).
api_fuzz() {
  local summary=$1
  log "API fuzzing: docs/openapi.yaml against the server (schemathesis; SQLite and PostgreSQL)"
  command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3 python3-venv
  cargo build -p satchel-server
  tests/api-fuzz/run.sh "$ROOT/target/debug/satchel-server" 2>&1 | tee -a "$summary" || true
  # Only a cluster build.sh started (and drops after this tier): the fuzzer writes into its
  # `postgres` database, which the server tests leave alone (each makes its own database).
  if [ -n "$PG_DIR" ]; then
    tests/api-fuzz/run.sh "$ROOT/target/debug/satchel-server" "$SATCHEL_TEST_DATABASE_URL" 2>&1 | tee -a "$summary" || true
  fi
}

run_tests() {
  local summary; summary=$(mktemp)
  setup
  setup_browser
  setup_postgres
  check_core_is_pure

  start_test_postgres
  log "Tier 1: native tests (cargo test --workspace; the server's on SQLite and PostgreSQL)"
  cargo test --workspace 2>&1 | tee -a "$summary"
  api_fuzz "$summary"
  stop_test_postgres

  log "Tier 2: the module in headless Chromium (wasm-bindgen-test)"
  CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 \
    cargo test -p satchel --target "$WASM_TARGET" 2>&1 | tee -a "$summary"

  log "Tier 3: end to end (Playwright + Debian Chromium against the real server; the package's examples)"
  build_wasm
  build_www
  build_package
  cargo build -p satchel-server
  SATCHEL_SERVER_BIN="$ROOT/target/debug/satchel-server" SATCHEL_WWW_DIR="$ROOT/www/dist" \
    node --test --test-concurrency=1 tests/e2e/ 2>&1 | tee -a "$summary"

  local passed failed
  passed=$(( $(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$summary" | awk '{s+=$4} END {print s+0}') \
           + $(grep -oE '^# pass [0-9]+' "$summary" | awk '{s+=$3} END {print s+0}') ))
  failed=$(( $(grep -oE '[0-9]+ failed;' "$summary" | awk '{s+=$1} END {print s+0}') \
           + $(grep -oE '^# fail [0-9]+' "$summary" | awk '{s+=$3} END {print s+0}') ))
  rm -f "$summary"
  echo
  echo "all tiers: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}

run_bench() {
  setup
  setup_browser
  setup_postgres
  log "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)"
  log "Tax engine, native (release)"
  cargo bench -p satchel-core --bench tax
  log "Product search, native (release)"
  cargo bench -p satchel-core --bench search
  SATCHEL_PG_DURABLE=1 start_test_postgres
  log "Server push throughput over loopback HTTP: 1, 4 and 50 devices on SQLite; on PostgreSQL (fsync on) also 50 devices through 2 and 3 server instances (release)"
  cargo bench -p satchel-server --bench push
  log "Server initial pull of 10,000 products and 2,000 outlets over loopback HTTP, SQLite and PostgreSQL (release)"
  cargo bench -p satchel-server --bench pull
  stop_test_postgres
  log "Tax engine, vault crypto and product search: Wasm in headless Chromium (the shipped wasm-release profile)"
  # SATCHEL_BENCH turns the test's smoke pass into a measurement (read at compile time).
  SATCHEL_BENCH=1 CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=300 \
    cargo test --profile wasm-release -p satchel --target "$WASM_TARGET" --test bench_wasm -- --nocapture 2>&1 | grep -E 'BENCH|test result|panicked'
  node tests/kdf-bench/run.mjs  # PIN key derivation: WebCrypto PBKDF2 vs Argon2id (Wasm), 1x and 4x-throttled Chromium
  log "Unlocking the workspace in the app (real server, PWA), 1x and 4x-throttled Chromium"
  build
  cargo build -p satchel-server
  SATCHEL_SERVER_BIN=target/debug/satchel-server node tests/bench/unlock.mjs
  log "The first screen: a first visit on slow 4G and a cold start offline, CPU 4x (issue 17)"
  SATCHEL_SERVER_BIN=target/debug/satchel-server node tests/bench/first-screen.mjs
  log "Does Chromium reuse the compiled module on a cold start offline? (issue 17)"
  SATCHEL_SERVER_BIN=target/debug/satchel-server node tests/bench/wasm-code-cache.mjs
  log "Sync in the browser against the server (release build, SQLite): initial pull of 10,000 products + 2,000 outlets, drain of 10,000 queued orders"
  cargo build --release -p satchel-server
  SATCHEL_SERVER_BIN=target/release/satchel-server node tests/bench/sync.mjs
  log "Commit in the browser, side by side on an on-disk profile: the module's commitOrder against a Dexie + WebCrypto page, 1,000 each in alternating blocks"
  SATCHEL_SERVER_BIN=target/release/satchel-server node tests/bench/commit.mjs
  log "The counter (issue 13): scan to line on screen onto a 40-line cart and tender to receipt, 10,000 products, 4x-throttled (and 1x) Chromium"
  SATCHEL_SERVER_BIN=target/release/satchel-server node tests/bench/counter.mjs
  log "The embedding package (dist/npm): size, import to the first tax result at 1x and 4x CPU, quoteOrder with 10,000 products"
  build_package
  node tests/bench/embedding.mjs
  log "Lighthouse performance of a first visit, mobile defaults (issue 17)"
  SATCHEL_SERVER_BIN=target/release/satchel-server node tests/bench/lighthouse-perf.mjs
  log "Lighthouse accessibility of the main screens at 360x740 and 1280x800 (installs lighthouse into ~/.cache on first use)"
  SATCHEL_SERVER_BIN=target/release/satchel-server node tests/bench/lighthouse.mjs
}

case "${1:-help}" in
  setup) setup; setup_browser; setup_postgres ;;
  build) build ;;
  serve) shift; serve "$@" ;;
  test) run_tests ;;
  bench) run_bench ;;
  package) package ;;
  clean) rm -rf target www/pkg www/dist dist node_modules ;;
  *) sed -n '2,5p' "$0"; exit 2 ;;
esac
