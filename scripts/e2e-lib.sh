# shellcheck shell=bash
# The harness the aws cli end-to-end scripts share. Sourced, not run:
#
#   NAME=e2e-something                # the prefix of the script's own lines
#   . "$(dirname "$0")/e2e-lib.sh"
#   e2e_init ACCESS_KEY_PREFIX SECRET_KEY_PREFIX
#   e2e_tls                           # optional: serve HTTPS with a self-signed certificate
#   e2e_start
#   check ... / expect_fail ...
#   e2e_finish                        # the last line and the exit status
#
# It gives: a temporary $work directory ($work/data for the server,
# $work/files for the script), removed at exit with the server stopped; an
# isolated AWS configuration (no profile, config or credentials file, CA
# bundle, endpoint or proxy from the environment can change what is tested)
# with the root keys $ACCESS_KEY/$SECRET_KEY; the server on a free
# 127.0.0.1 port ($endpoint, $cert when over HTTPS), checked to be on
# PostgreSQL when TESSERA_POSTGRES is set; and the counted checks.
#
# Endpoint mode: with TESSERA_ENDPOINT set (say, a load balancer in front of
# several gateways) the script starts no server. It drives that endpoint
# with TESSERA_ACCESS_KEY/TESSERA_SECRET_KEY as its root keys, and
# TESSERA_BIN is not needed. The server is not the script's: e2e_tls,
# restart and the checks on the server's log and data directory cannot run
# there — a script that needs them guards them with `endpoint_mode` and says
# so; unguarded, restart counts as a failure.

# fatal MESSAGE: a failure before any check could run.
fatal() { echo "$NAME: $*" >&2; echo "$NAME: 0 passed, 1 failed"; exit 1; }

# e2e_init ACCESS_KEY_PREFIX SECRET_KEY_PREFIX: the tools, the work
# directory and the isolated AWS configuration under fresh root keys.
e2e_init() {
  if endpoint_mode; then
    [ -n "${TESSERA_ACCESS_KEY:-}" ] && [ -n "${TESSERA_SECRET_KEY:-}" ] ||
      fatal "endpoint mode: set TESSERA_ACCESS_KEY and TESSERA_SECRET_KEY to the endpoint's root keys"
  else
    : "${TESSERA_BIN:?set TESSERA_BIN to the path of a built tessera binary}"
    [ -x "$TESSERA_BIN" ] || fatal "$TESSERA_BIN is not an executable"
  fi
  local tool
  for tool in aws curl openssl python3; do
    command -v "$tool" >/dev/null 2>&1 || fatal "$tool not found"
  done

  passed=0
  failed=0
  server_pid=""
  cert=""
  work="$(mktemp -d "${TMPDIR:-/tmp}/tessera-$NAME.XXXXXX")"
  trap e2e_cleanup EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$work/data" "$work/files"

  local v
  for v in $(env | grep -o '^AWS_[A-Z0-9_]*' || true); do unset "$v"; done
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_CA_BUNDLE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
    AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_REGION AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE \
    REQUESTS_CA_BUNDLE CURL_CA_BUNDLE HTTP_PROXY HTTPS_PROXY http_proxy https_proxy
  export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
  if endpoint_mode; then
    ACCESS_KEY="$TESSERA_ACCESS_KEY"
    SECRET_KEY="$TESSERA_SECRET_KEY"
  else
    ACCESS_KEY="$1$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
    SECRET_KEY="$2/$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  fi
  export AWS_CONFIG_FILE="$work/aws-config"
  export AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
  printf '[default]\nregion = us-east-1\n' >"$AWS_CONFIG_FILE"
  : >"$AWS_SHARED_CREDENTIALS_FILE"
  export AWS_ACCESS_KEY_ID="$ACCESS_KEY"
  export AWS_SECRET_ACCESS_KEY="$SECRET_KEY"
  export AWS_DEFAULT_REGION=us-east-1
  export AWS_PAGER=""
  export AWS_EC2_METADATA_DISABLED=true
  export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=1
}

e2e_cleanup() { stop_server; rm -rf "$work"; }

# endpoint_mode: true when the script drives TESSERA_ENDPOINT instead of a
# server of its own.
endpoint_mode() { [ -n "${TESSERA_ENDPOINT:-}" ]; }

# e2e_tls: a self-signed certificate for 127.0.0.1 ($cert, a CA the cli,
# curl and Go take); the server then serves HTTPS.
e2e_tls() {
  endpoint_mode && fatal "e2e_tls: the endpoint's certificate is not the script's to make (endpoint mode)"
  mkdir -p "$work/tls"
  cert="$work/tls/cert.pem"
  if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$work/tls/key.pem" -out "$cert" -days 1 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1" -addext "basicConstraints=critical,CA:TRUE" >"$work/tls/openssl.log" 2>&1; then
    cat "$work/tls/openssl.log" >&2
    fatal "openssl could not make a certificate"
  fi
}

# start_server [ENV=VALUE...] -- [FLAG...]: starts the binary on the data
# directory (the port stays the same across restarts); 0 when it is ready.
start_server() {
  endpoint_mode && return 1 # there is no server of ours to start
  local envs=() tls=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  [ -n "$cert" ] && tls=(--tls-cert "$cert" --tls-key "$work/tls/key.pem")
  env "${envs[@]}" "$TESSERA_BIN" server --address "127.0.0.1:$port" --data "$work/data" \
    --root-user "$ACCESS_KEY" --root-password "$SECRET_KEY" "${tls[@]}" "$@" >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    kill -0 "$server_pid" 2>/dev/null || return 1
    [ "$(curl -s ${cert:+--cacert "$cert"} -o /dev/null -w '%{http_code}' "$endpoint/_tessera/health/ready")" = "200" ] && return 0
    sleep 0.1
  done
  return 1
}

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

# restart NAME [ENV=VALUE...] -- [FLAG...]: stops the server and starts it
# again, counted as a check (not through check: server_pid must be set here).
restart() {
  local name="$1"; shift
  if endpoint_mode; then
    failed=$((failed + 1)); echo "FAIL $name (endpoint mode: the server is not the script's to restart)"
    return
  fi
  stop_server
  if start_server "$@"; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     | /' "$work/server.log" | tail -10
  fi
}

# e2e_start: the server on a free port, ready; with TESSERA_POSTGRES its
# metadata must really be in PostgreSQL.
e2e_start() {
  if endpoint_mode; then
    # Skipped here: the check that TESSERA_POSTGRES moved the metadata (it
    # reads the server's log and data directory).
    endpoint="${TESSERA_ENDPOINT%/}"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/_tessera/health/ready")" = "200" ] ||
      fatal "endpoint $endpoint is not ready (/_tessera/health/ready)"
    echo "$NAME: endpoint mode: $endpoint (no server of the script's own)"
    aws --version 2>&1 | sed "s/^/$NAME: /"
    return
  fi
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  endpoint="http${cert:+s}://127.0.0.1:$port"
  if ! start_server --; then
    cat "$work/server.log" >&2
    fatal "server did not become ready at $endpoint"
  fi
  echo "$NAME: server $TESSERA_BIN at $endpoint (data $work/data)"
  if [ -n "${TESSERA_POSTGRES:-}" ]; then
    if ! grep -q 'meta=postgres' "$work/server.log" || [ -e "$work/data/meta" ]; then
      cat "$work/server.log" >&2
      fatal "TESSERA_POSTGRES is set but the server is not on PostgreSQL"
    fi
    echo "$NAME: metadata in PostgreSQL"
  fi
  aws --version 2>&1 | sed "s/^/$NAME: /"
}

# s3 and s3api: the cli against the server (cp and rm without progress lines).
s3() {
  local sub="$1"; shift
  case "$sub" in
    cp | rm) aws --endpoint-url "$endpoint" ${cert:+--ca-bundle "$cert"} s3 "$sub" --only-show-errors "$@" ;;
    *) aws --endpoint-url "$endpoint" ${cert:+--ca-bundle "$cert"} s3 "$sub" "$@" ;;
  esac
}
s3api() { aws --endpoint-url "$endpoint" ${cert:+--ca-bundle "$cert"} s3api "$@"; }

# check NAME COMMAND...: runs the command, counts it, shows its output on failure.
check() {
  local name="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; printf '%s\n' "$out" | sed 's/^/     | /' | head -40
  fi
}

# expect_fail NAME PATTERN COMMAND...: the command must fail and its output match PATTERN.
expect_fail() {
  local name="$1" pattern="$2"; shift 2
  local out
  if out="$("$@" 2>&1)"; then
    failed=$((failed + 1)); echo "FAIL $name (succeeded, want $pattern)"; printf '%s\n' "$out" | sed 's/^/     | /' | head -20
  elif printf '%s' "$out" | grep -q -- "$pattern"; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name (want $pattern)"; printf '%s\n' "$out" | sed 's/^/     | /' | head -20
  fi
}

# e2e_finish: a server of the script's own that died during the run is a
# failure (an endpoint's health is its owner's to judge); prints the
# last line, "NAME: N passed, M failed", and exits non-zero on any failure.
e2e_finish() {
  if ! endpoint_mode && ! kill -0 "$server_pid" 2>/dev/null; then
    failed=$((failed + 1)); echo "FAIL server exited during the run; its log:"; sed 's/^/     | /' "$work/server.log" | tail -40
  fi
  echo "$NAME: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}
