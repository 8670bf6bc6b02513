#!/usr/bin/env bash
# End-to-end: accounts and sharing a bucket (issue 5) with the real binary,
# `tessera admin` and the stock AWS CLI.
#
# Usage:  scripts/e2e-admin.sh            (builds ./cmd/tessera into a temp dir)
#         TESSERA_BIN=/path/to/tessera scripts/e2e-admin.sh
#
# Starts the server on a free 127.0.0.1 port with a temporary --data
# directory and explicit root credentials, then checks:
#   * `tessera admin user add bob` prints an account ID and a key pair that
#     the AWS CLI can use; `user list` shows bob;
#   * root's bucket is closed to bob (AccessDenied) until
#     `aws s3api put-bucket-policy` grants him s3:GetObject/s3:ListBucket;
#     then bob reads and lists but still cannot write;
#   * get-bucket-policy round-trip; delete-bucket-policy closes it again;
#   * ExpectedBucketOwner (--expected-bucket-owner) on get-object/list-parts;
#   * Requester Pays: bob needs --request-payer requester, and
#     `tessera admin usage` counts his requests;
#   * `key disable` → InvalidAccessKeyId, `key enable`, `key create/delete`;
#   * `kms key create/list/get/disable/enable/policy put/policy get` for
#     bob's account; a key policy with an s3: action is refused (400);
#   * `user remove` is refused while bob owns a bucket;
#   * no secret access key appears in the server log.
# The AWS CLI gets explicit endpoint, keys and region; every other AWS_*
# variable is cleared and config files point at /dev/null. The last line
# is `e2e-admin: N passed, M failed`; the exit status is non-zero if
# anything failed. The server is stopped at exit.
set -uo pipefail

ROOT_USER=e2eadminroot
ROOT_PASSWORD=e2e-admin-secret-0123456789
REGION=us-east-1
passed=0
failed=0

ok()   { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1${2:+: $2}"; }
check() { # check NAME COMMAND...  (success expected)
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then ok "$name"; else fail "$name" "$out"; fi
}
check_err() { # check_err NAME CODE COMMAND...  (failure with CODE in the output expected)
	local name=$1 code=$2; shift 2
	local out
	if out=$("$@" 2>&1); then fail "$name" "succeeded, want $code"
	elif grep -q "$code" <<<"$out"; then ok "$name"
	else fail "$name" "want $code, got: $out"; fi
}

work=$(mktemp -d)
server_pid=""
cleanup() {
	if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid"
		wait "$server_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

bin=${TESSERA_BIN:-}
if [[ -z $bin ]]; then
	bin=$work/tessera
	(cd "$(dirname "$0")/.." && go build -o "$bin" ./cmd/tessera) || { echo "e2e-admin: build failed"; exit 1; }
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint=http://127.0.0.1:$port
"$bin" server --address "127.0.0.1:$port" --data "$work/data" --region "$REGION" \
	--root-user "$ROOT_USER" --root-password "$ROOT_PASSWORD" --log-level debug >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
	curl -fs "$endpoint/_tessera/health/ready" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fs "$endpoint/_tessera/health/ready" >/dev/null || { echo "e2e-admin: server not ready"; cat "$work/server.log"; exit 1; }

for v in $(env | grep -o '^AWS_[A-Z_]*'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_DEFAULT_REGION=$REGION AWS_MAX_ATTEMPTS=1
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required

adm() { "$bin" admin --endpoint "$endpoint" --access-key "$ROOT_USER" --secret-key "$ROOT_PASSWORD" "$@"; }
as_root() { AWS_ACCESS_KEY_ID=$ROOT_USER AWS_SECRET_ACCESS_KEY=$ROOT_PASSWORD aws --endpoint-url "$endpoint" "$@"; }
as_bob()  { AWS_ACCESS_KEY_ID=$BOB_KEY AWS_SECRET_ACCESS_KEY=$BOB_SECRET aws --endpoint-url "$endpoint" "$@"; }
field() { sed -n "s/^$1:[[:space:]]*//p"; }
# prints PATTERN COMMAND...: the command succeeds and its output matches
# PATTERN. Not `COMMAND | grep -q PATTERN`: under pipefail, grep leaving at
# the first match can kill a writer that is not done (SIGPIPE) and fail a
# pipeline that matched.
prints() { local pattern=$1 out; shift; out=$("$@") && grep -q -- "$pattern" <<<"$out"; }

# --- accounts ---
out=$(adm user add bob) || { echo "e2e-admin: user add failed: $out"; exit 1; }
BOB_ID=$(field "Account ID" <<<"$out")
BOB_KEY=$(field "Access key ID" <<<"$out")
BOB_SECRET=$(field "Secret access key" <<<"$out")
[[ $BOB_ID =~ ^[0-9]{12}$ && -n $BOB_KEY && -n $BOB_SECRET ]] && ok "user add bob prints ID and key" || fail "user add bob" "$out"
prints "^$BOB_ID  *bob " adm user list && ok "user list shows bob" || fail "user list shows bob" "$(adm user list)"
check "bob can use his key (list-buckets)" as_bob s3api list-buckets

# --- sharing by policy ---
echo "quarterly numbers" >"$work/q1.csv"
check "root create-bucket shared" as_root s3api create-bucket --bucket shared
check "root put-object" as_root s3api put-object --bucket shared --key reports/q1.csv --body "$work/q1.csv"
check_err "bob get-object before the policy" AccessDenied as_bob s3api get-object --bucket shared --key reports/q1.csv "$work/out"
cat >"$work/policy.json" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "BobReads",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::$BOB_ID:root"},
    "Action": ["s3:GetObject", "s3:ListBucket"],
    "Resource": ["arn:aws:s3:::shared", "arn:aws:s3:::shared/*"]
  }]
}
EOF
check "root put-bucket-policy" as_root s3api put-bucket-policy --bucket shared --policy "file://$work/policy.json"
prints "$BOB_ID" as_root s3api get-bucket-policy --bucket shared --output text --query Policy && ok "get-bucket-policy round-trip" || fail "get-bucket-policy round-trip"
if as_bob s3api get-object --bucket shared --key reports/q1.csv "$work/out" >/dev/null 2>&1 && cmp -s "$work/q1.csv" "$work/out"; then
	ok "bob get-object under the policy"
else fail "bob get-object under the policy"; fi
prints reports/q1.csv as_bob s3api list-objects-v2 --bucket shared --query 'Contents[].Key' --output text && ok "bob list-objects-v2" || fail "bob list-objects-v2"
check_err "bob put-object (read-only policy)" AccessDenied as_bob s3api put-object --bucket shared --key x --body "$work/q1.csv"
check_err "root put-bucket-policy malformed" MalformedPolicy as_root s3api put-bucket-policy --bucket shared --policy '{"Statement":[{"Effect":"Perhaps"}]}'

# --- ExpectedBucketOwner and Owner/Initiator ---
check "get-object with the right expected owner" as_bob s3api get-object --bucket shared --key reports/q1.csv --expected-bucket-owner 000000000000 "$work/out"
check_err "get-object with a wrong expected owner" AccessDenied as_bob s3api get-object --bucket shared --key reports/q1.csv --expected-bucket-owner "$BOB_ID" "$work/out"
upload=$(as_root s3api create-multipart-upload --bucket shared --key big --query UploadId --output text)
# --upload-id=ID, not --upload-id ID: an upload ID may begin with "-" (base64url),
# which the cli's argument parser would take for an option.
check_err "list-parts with a wrong expected owner" AccessDenied as_root s3api list-parts --bucket shared --key big --upload-id="$upload" --expected-bucket-owner "$BOB_ID"
lp=$(as_root s3api list-parts --bucket shared --key big --upload-id="$upload" --expected-bucket-owner 000000000000 --output json)
grep -q '"DisplayName": "root"' <<<"$lp" && ok "list-parts Owner/Initiator root" || fail "list-parts Owner/Initiator" "$lp"
check "abort-multipart-upload" as_root s3api abort-multipart-upload --bucket shared --key big --upload-id="$upload"

# --- Requester Pays and usage ---
check "put-bucket-request-payment Requester" as_root s3api put-bucket-request-payment --bucket shared --request-payment-configuration Payer=Requester
[[ $(as_root s3api get-bucket-request-payment --bucket shared --query Payer --output text) == Requester ]] && ok "get-bucket-request-payment" || fail "get-bucket-request-payment"
check_err "bob get-object without --request-payer" AccessDenied as_bob s3api get-object --bucket shared --key reports/q1.csv "$work/out"
before=$(adm usage "$BOB_ID" | field Requests)
charged=$(as_bob s3api get-object --bucket shared --key reports/q1.csv --request-payer requester "$work/out" --query RequestCharged --output text 2>&1)
[[ $charged == requester ]] && ok "bob get-object --request-payer requester: RequestCharged" || fail "RequestCharged" "$charged"
sleep 0.2
after=$(adm usage "$BOB_ID" | field Requests)
((after > before)) && ok "admin usage counts bob's paid request ($before → $after)" || fail "admin usage" "$before → $after"
owner_charged=$(as_root s3api get-object --bucket shared --key reports/q1.csv "$work/out" --query RequestCharged --output text 2>&1)
[[ $owner_charged == None || -z $owner_charged ]] && ok "owner not charged" || fail "owner not charged" "$owner_charged"

# --- keys ---
check "key disable" adm key disable "$BOB_KEY"
check_err "disabled key → InvalidAccessKeyId" InvalidAccessKeyId as_bob s3api list-buckets
prints "$BOB_KEY  *disabled" adm key list "$BOB_ID" && ok "key list shows disabled" || fail "key list shows disabled"
check "key enable" adm key enable "$BOB_KEY"
check "enabled key works" as_bob s3api list-buckets
out=$(adm key create "$BOB_ID")
key2=$(field "Access key ID" <<<"$out")
secret2=$(field "Secret access key" <<<"$out")
AWS_ACCESS_KEY_ID=$key2 AWS_SECRET_ACCESS_KEY=$secret2 aws --endpoint-url "$endpoint" s3api list-buckets >/dev/null 2>&1 && ok "second key works" || fail "second key works"
check "key delete" adm key delete "$key2"
check_err "deleted key → InvalidAccessKeyId" InvalidAccessKeyId env AWS_ACCESS_KEY_ID="$key2" AWS_SECRET_ACCESS_KEY="$secret2" aws --endpoint-url "$endpoint" s3api list-buckets
check_err "admin API with bob's key" 403 "$bin" admin --endpoint "$endpoint" --access-key "$BOB_KEY" --secret-key "$BOB_SECRET" user list

# --- KMS keys ---
out=$(adm kms key create --account "$BOB_ID" --description "bob e2e") || fail "kms key create" "$out"
kms_id=$(field "Key ID" <<<"$out")
[[ $(field "ARN" <<<"$out") == "arn:aws:kms:$REGION:$BOB_ID:key/$kms_id" ]] && ok "kms key create prints the key ARN" || fail "kms key create" "$out"
prints "^$kms_id  *$BOB_ID  *enabled  *0  *-  *CUSTOMER" adm kms key list --account "$BOB_ID" && ok "kms key list" || fail "kms key list" "$(adm kms key list 2>&1)"
check "kms key disable" adm kms key disable "$kms_id"
prints "^Status:  *disabled" adm kms key get "$kms_id" && ok "kms key get shows disabled" || fail "kms key get shows disabled"
check "kms key enable" adm kms key enable "$kms_id"
cat >"$work/key-policy.json" <<JSON
{"Version": "2012-10-17", "Statement": [{"Sid": "RootDecrypts", "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "kms:Decrypt", "Resource": "*"}]}
JSON
check "kms key policy put" adm kms key policy put "$kms_id" "$work/key-policy.json"
prints RootDecrypts adm kms key policy get "$kms_id" && ok "kms key policy get" || fail "kms key policy get"
echo '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}' >"$work/bad-policy.json"
check_err "kms key policy with an s3: action" 400 adm kms key policy put "$kms_id" "$work/bad-policy.json"
check_err "kms key get of an unknown key" 404 adm kms key get 00000000-0000-4000-8000-000000000000

# --- removal ---
check "bob create-bucket" as_bob s3api create-bucket --bucket bobs
check_err "bob create-bucket shared (taken)" BucketAlreadyExists as_bob s3api create-bucket --bucket shared
check_err "user remove while bob owns a bucket" 409 adm user remove "$BOB_ID"
check "bob delete-bucket" as_bob s3api delete-bucket --bucket bobs
check "user remove bob" adm user remove "$BOB_ID"
check_err "removed account's key" InvalidAccessKeyId as_bob s3api list-buckets

# --- secrets never logged ---
for s in "$BOB_SECRET" "$secret2" "$ROOT_PASSWORD"; do
	if grep -qF -- "$s" "$work/server.log"; then fail "secret absent from the server log" "found ${s:0:4}…"; else ok "secret absent from the server log"; fi
done

echo "e2e-admin: $passed passed, $failed failed"
((failed == 0))
