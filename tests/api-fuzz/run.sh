#!/usr/bin/env bash
# The spec is the server (issue 15): schemathesis, a property-based API fuzzer, generates
# requests from docs/openapi.yaml against a running server and fails on any 5xx, any status
# code, content type, header or response body the spec does not declare.
#
#   tests/api-fuzz/run.sh SERVER_BIN [DATABASE_URL]
#
# SQLite in a fresh data directory, or the PostgreSQL database given (a throwaway one: the
# fuzzer writes into it). schemathesis comes from PyPI into a venv under target/ (kept between
# runs). Fixed seed: the same requests every run. Prints "# pass 1" or "# fail 1" for build.sh's
# summary.
set -euo pipefail
# Any failure before the verdict (no Python venv, no network to PyPI, the server not starting)
# is a failed test, not a silent pass.
trap 'echo "# fail 1"' ERR
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$1
DB_URL=${2:-}
VENV="$ROOT/target/schemathesis-venv"
VERSION=4.32.5
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi

DIR=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
env ${DB_URL:+SATCHEL_DATABASE_URL="$DB_URL"} RUST_LOG=warn \
  "$BIN" --addr 127.0.0.1:0 --data-dir "$DIR/data" --www-dir "$DIR/no-www" >"$DIR/out" 2>"$DIR/err" &
PID=$!
for _ in $(seq 1 300); do
  URL=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$DIR/out" | head -1 || true)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { cat "$DIR/err" >&2; echo "the server did not start" >&2; echo "# fail 1"; exit 1; }

# A supervisor's token: every operation is reachable (reps get 403 on the supervisor's ones).
TOKEN=$(python3 - "$URL" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/api/v1/devices", method="POST",
    data=json.dumps({"username": "super", "password": "super-demo", "label": "api fuzz"}).encode(),
    headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
)

backend=${DB_URL:+PostgreSQL}
echo "# schemathesis $VERSION against the server on ${backend:-SQLite}"
if "$VENV/bin/schemathesis" run "$ROOT/docs/openapi.yaml" --url "$URL" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples 25 --seed 20261205 --workers 1 --no-color >"$DIR/report" 2>&1; then
  tail -4 "$DIR/report"
  echo "# pass 1"
else
  cat "$DIR/report"
  echo "# fail 1"
  exit 1
fi
