#!/usr/bin/env bash
# Benchmark: `tessera cp` against `aws s3 cp` and rclone, uploading and
# downloading the same file to the same Tessera server on this machine, in
# one run.
#
# Usage:  scripts/bench-cp.sh [SIZE_MIB]          (default 1024: 1 GiB)
#         TESSERA_BIN=/path/to/tessera scripts/bench-cp.sh
#
# Builds ./cmd/tessera unless TESSERA_BIN is set, starts the server on a
# free 127.0.0.1 port with a temporary --data directory (on the same disk as
# $TMPDIR), writes a file of random bytes, then for each client times an
# upload to its own key and a download back (each compared with cmp). Every
# client gets the same credentials and endpoint through an isolated AWS
# configuration, path-style addressing, and its defaults otherwise
# (tessera: 8 parts in flight of 8 MiB; aws cli: 10 of 8 MiB; rclone: 4
# of 5 MiB) — plus one tuned row each (--parallel/--transfers 8 or 16 with
# 16 MiB parts). Prints one line per run: client, direction, seconds, MiB/s.
# Needs aws and rclone (apt-get install -y awscli rclone).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
for tool in aws rclone; do
  command -v "$tool" >/dev/null || { echo "bench-cp: $tool is not installed (apt-get install -y ${tool/aws/awscli})" >&2; exit 1; }
done
WORK=$(mktemp -d)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
if [ -z "${TESSERA_BIN:-}" ]; then
  go build -o "$WORK/tessera" ./cmd/tessera
  TESSERA_BIN=$WORK/tessera
fi
# Nothing of the caller's AWS_* settings (a CA bundle, a profile) applies here.
unset $(env | grep -o '^AWS_[A-Z0-9_]*') 2>/dev/null || true
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export AWS_ACCESS_KEY_ID=benchcproot AWS_SECRET_ACCESS_KEY=bench-cp-secret-0123456789 AWS_REGION=us-east-1
TESSERA_ROOT_USER=$AWS_ACCESS_KEY_ID TESSERA_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY \
  "$TESSERA_BIN" server --data "$WORK/data" --address "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
EP=http://127.0.0.1:$PORT
for _ in $(seq 50); do curl -sf "$EP/_tessera/ready" >/dev/null && break; sleep 0.1; done
# An isolated configuration: nothing of ~/.aws reaches any client.
export HOME=$WORK/home XDG_STATE_HOME=$WORK/state AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=/dev/null
mkdir -p "$HOME"
printf '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n' >"$AWS_CONFIG_FILE"
export RCLONE_CONFIG=$WORK/rclone.conf
printf '[t]\ntype = s3\nprovider = Other\naccess_key_id = %s\nsecret_access_key = %s\nendpoint = %s\nforce_path_style = true\n' \
  "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$EP" >"$RCLONE_CONFIG"

"$TESSERA_BIN" mb s3://bench --endpoint-url "$EP" >/dev/null
# rclone sends x-amz-acl: private, which a bucket with ACLs disabled (the
# default, BucketOwnerEnforced) refuses as S3 does: allow ACLs.
aws s3api put-bucket-ownership-controls --endpoint-url "$EP" --bucket bench \
  --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerPreferred}]'
head -c $((SIZE_MIB << 20)) /dev/urandom >"$WORK/src.bin"
echo "bench-cp: $SIZE_MIB MiB, $(nproc) cores, $(aws --version 2>&1 | cut -d' ' -f1), $(rclone version | head -1)"

# timeit NAME DIRECTION CMD...: runs CMD, prints seconds and MiB/s.
timeit() {
  local name=$1 dir=$2; shift 2
  sync; local t0 t1; t0=$(date +%s.%N)
  "$@" >"$WORK/out.log" 2>&1 || { echo "bench-cp: $name $dir failed:"; cat "$WORK/out.log"; exit 1; }
  t1=$(date +%s.%N)
  awk -v n="$name" -v d="$dir" -v a="$t0" -v b="$t1" -v s="$SIZE_MIB" \
    'BEGIN { printf "%-28s %-8s %7.2f s %8.1f MiB/s\n", n, d, b-a, s/(b-a) }'
}
check() { cmp "$WORK/src.bin" "$WORK/back.bin" || { echo "bench-cp: $1 download differs"; exit 1; }; rm -f "$WORK/back.bin"; }

run() { # run NAME UPLOAD-CMD DOWNLOAD-CMD (both strings)
  timeit "$1" upload bash -c "$2"; timeit "$1" download bash -c "$3"; check "$1"
}
T="$TESSERA_BIN"
run "tessera cp" \
  "$T cp --quiet --endpoint-url $EP $WORK/src.bin s3://bench/tessera" \
  "$T cp --quiet --endpoint-url $EP s3://bench/tessera $WORK/back.bin"
run "tessera cp 16 x 16MiB" \
  "$T cp --quiet --parallel 16 --part-size 16MiB --endpoint-url $EP $WORK/src.bin s3://bench/tessera16" \
  "$T cp --quiet --parallel 16 --part-size 16MiB --endpoint-url $EP s3://bench/tessera16 $WORK/back.bin"
run "aws s3 cp" \
  "aws s3 cp --only-show-errors --endpoint-url $EP $WORK/src.bin s3://bench/aws" \
  "aws s3 cp --only-show-errors --endpoint-url $EP s3://bench/aws $WORK/back.bin"
aws configure set default.s3.max_concurrent_requests 16
aws configure set default.s3.multipart_chunksize 16MB
run "aws s3 cp 16 x 16MiB" \
  "aws s3 cp --only-show-errors --endpoint-url $EP $WORK/src.bin s3://bench/aws16" \
  "aws s3 cp --only-show-errors --endpoint-url $EP s3://bench/aws16 $WORK/back.bin"
run "rclone copyto" \
  "rclone copyto $WORK/src.bin t:bench/rclone" \
  "rclone copyto t:bench/rclone $WORK/back.bin"
run "rclone copyto 16 x 16MiB" \
  "rclone copyto --s3-upload-concurrency 16 --s3-chunk-size 16M --multi-thread-streams 16 $WORK/src.bin t:bench/rclone16" \
  "rclone copyto --multi-thread-streams 16 t:bench/rclone16 $WORK/back.bin"
