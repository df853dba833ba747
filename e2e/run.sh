#!/usr/bin/env bash
# End-to-end tests of amogql: builds the gateway, starts it on a free loopback
# port with its embedded sandbox, and runs every test in tests/ with Node's
# built-in test runner against it. Exits non-zero on any failure.
#
# Installs what it needs on a clean machine (as root): the npm packages pinned
# in package-lock.json, and Debian's chromium when /usr/bin/chromium is missing.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$E2E_DIR/.." && pwd)
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-60}

WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/amogql-e2e.XXXXXX")
GATEWAY_PID=

cleanup() {
  local rc=$?
  if [[ -n "$GATEWAY_PID" ]] && kill -0 "$GATEWAY_PID" 2>/dev/null; then
    kill "$GATEWAY_PID" 2>/dev/null || true
    wait "$GATEWAY_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -s "$WORK_DIR/gateway.log" ]]; then
    echo "--- last lines of the gateway's log ---" >&2
    tail -n 40 "$WORK_DIR/gateway.log" >&2 || true
  fi
  rm -rf "$WORK_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { printf '[e2e] %s\n' "$*" >&2; }

if [[ ! -x /usr/bin/chromium ]]; then
  log "installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends chromium
fi

log "npm ci"
(cd "$E2E_DIR" && npm ci --no-audit --no-fund --loglevel=error)

log "building the gateway"
(cd "$ROOT_DIR" && go build -o "$WORK_DIR/amogql" .)

free_port() {
  node -e '
    const s = require("node:net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Waits for /healthz; returns 1 if the gateway died (e.g. the port was taken
# between picking and binding it) and 2 on timeout.
wait_healthy() {
  local url=$1 deadline=$((SECONDS + HEALTH_TIMEOUT))
  while ((SECONDS < deadline)); do
    kill -0 "$GATEWAY_PID" 2>/dev/null || return 1
    if node -e '
      fetch(process.argv[1], { signal: AbortSignal.timeout(1000) })
        .then(async (r) => process.exit(r.ok && (await r.json()).status === "ok" ? 0 : 1))
        .catch(() => process.exit(1));' "$url/healthz"; then
      return 0
    fi
    sleep 0.2
  done
  return 2
}

started=
for attempt in 1 2 3; do
  PORT=$(free_port)
  export AMOGQL_URL="http://127.0.0.1:$PORT"
  log "starting the gateway with its sandbox on $AMOGQL_URL (attempt $attempt)"
  # No AMOCRM_BASE_URL: the embedded sandbox. No API keys: open /query.
  env -u AMOCRM_BASE_URL -u AMOCRM_ACCESS_TOKEN -u GATEWAY_API_KEYS \
    ADDR="127.0.0.1:$PORT" LOG_LEVEL="${LOG_LEVEL:-info}" LOG_FORMAT=json \
    "$WORK_DIR/amogql" >"$WORK_DIR/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  status=0
  wait_healthy "$AMOGQL_URL" || status=$?
  if [[ $status -eq 0 ]]; then started=1; break; fi
  if [[ $status -eq 2 ]]; then
    log "the gateway did not answer /healthz within ${HEALTH_TIMEOUT}s"
    exit 1
  fi
  log "the gateway exited early:"
  cat "$WORK_DIR/gateway.log" >&2
  wait "$GATEWAY_PID" 2>/dev/null || true
  GATEWAY_PID=
done
[[ -n "$started" ]] || { log "could not start the gateway"; exit 1; }
# The embedded sandbox's own address, for tests that change data behind the
# gateway's back as another amoCRM user would (the start-up log names it).
AMOGQL_UPSTREAM_URL=$(grep -o '"upstream":"[^"]*"' "$WORK_DIR/gateway.log" | head -n 1 | cut -d '"' -f 4)
[[ -n "$AMOGQL_UPSTREAM_URL" ]] || { log "the gateway's log does not name its sandbox"; exit 1; }
export AMOGQL_UPSTREAM_URL

mkdir -p "$E2E_DIR/artifacts"
log "running the tests"
cd "$E2E_DIR"
node --test --test-reporter=spec tests/*.test.mjs
