#!/usr/bin/env bash
# End-to-end: the installed aws cli against a real Tessera binary.
#
# Usage:  TESSERA_BIN=/path/to/tessera scripts/e2e-awscli.sh
#         TESSERA_ENDPOINT=http://127.0.0.1:8080 TESSERA_ACCESS_KEY=… TESSERA_SECRET_KEY=… scripts/e2e-awscli.sh
#
# The second form (endpoint mode, scripts/e2e-lib.sh) drives a running
# Tessera — gateways behind a load balancer, say — with its root keys and
# starts no server. Every step below runs in both forms: none restarts the
# server or reads its log or data directory (only e2e_start's check that
# TESSERA_POSTGRES really moved the metadata does, and it is the server
# owner's to make in endpoint mode).
#
# Builds nothing. Starts "$TESSERA_BIN server" on a free 127.0.0.1 port with a
# temporary --data directory and explicit root credentials, waits for
# /_tessera/health/ready, then drives it with `aws s3` (mb, cp up and down,
# ls, rm, rb) and `aws s3api` (put-object, get-object, head-object, ...) under
# an isolated AWS configuration: no profile, config or credentials file, CA
# bundle or endpoint from the environment can change what is tested (the
# harness, shared with scripts/e2e-awscli-sse.sh: scripts/e2e-lib.sh).
#
# Exits non-zero on any failure; the server is killed on exit. The last line
# printed is exactly "e2e-awscli: N passed, M failed".
set -uo pipefail

NAME=e2e-awscli
# shellcheck source=scripts/e2e-lib.sh
. "$(dirname "$0")/e2e-lib.sh"
e2e_init E2EAWSCLIROOT e2e/awscli
e2e_start

# ---- the scenario ----------------------------------------------------------
bucket="e2e-awscli-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
f="$work/files"
printf 'hello from the aws cli\n' >"$f/small.txt"
head -c 3145739 /dev/urandom >"$f/big.bin"          # 3 MiB + 11 bytes: single PUT
head -c 9437190 /dev/urandom >"$f/multi.bin"        # 9 MiB: aws s3 cp uses multipart (8 MiB threshold)
: >"$f/empty"
printf 'unicode body\n' >"$f/uni.txt"

check "s3 mb" s3 mb "s3://$bucket"
# In us-east-1 S3 answers a re-create of your own bucket with 200 (the legacy
# rule: aws-sdk-go-v2's BucketAlreadyOwnedByYou doc; research12 §8).
check "s3 mb again → 200 (us-east-1 legacy rule)" s3 mb "s3://$bucket"
check "s3 ls lists the bucket" bash -c "aws --endpoint-url '$endpoint' s3 ls | grep -q ' $bucket\$'"

check "s3 cp small up" s3 cp "$f/small.txt" "s3://$bucket/dir/small.txt"
check "s3 cp small down" s3 cp "s3://$bucket/dir/small.txt" "$f/small.down"
check "small round trip (cmp)" cmp "$f/small.txt" "$f/small.down"

check "s3 cp 3 MiB up" s3 cp "$f/big.bin" "s3://$bucket/big.bin"
check "s3 cp 3 MiB down" s3 cp "s3://$bucket/big.bin" "$f/big.down"
check "3 MiB round trip (cmp)" cmp "$f/big.bin" "$f/big.down"

check "s3 cp 9 MiB up (multipart)" s3 cp "$f/multi.bin" "s3://$bucket/multi.bin"
check "s3 cp 9 MiB down" s3 cp "s3://$bucket/multi.bin" "$f/multi.down"
check "9 MiB round trip (cmp)" cmp "$f/multi.bin" "$f/multi.down"
# Issue 3: a 100 MiB file, multipart by default (8 MiB parts), byte-exact.
head -c 104857600 /dev/urandom >"$f/hundred.bin"
check "s3 cp 100 MiB up (multipart)" s3 cp "$f/hundred.bin" "s3://$bucket/hundred.bin"
check "s3 cp 100 MiB down" s3 cp "s3://$bucket/hundred.bin" "$f/hundred.down"
check "100 MiB round trip (cmp)" cmp "$f/hundred.bin" "$f/hundred.down"
check "100 MiB object is multipart (ETag -13)" bash -c "aws --endpoint-url '$endpoint' s3api head-object --bucket '$bucket' --key hundred.bin --query ETag --output text | grep -q -- '-13\"\$'"
check "s3 rm 100 MiB" s3 rm "s3://$bucket/hundred.bin"
rm -f "$f/hundred.bin" "$f/hundred.down"

check "s3 cp empty up" s3 cp "$f/empty" "s3://$bucket/empty"
check "s3 cp empty down" s3 cp "s3://$bucket/empty" "$f/empty.down"
check "empty round trip (cmp)" cmp "$f/empty" "$f/empty.down"

check "s3 cp unicode key up" s3 cp "$f/uni.txt" "s3://$bucket/ünï cödé/ключ.txt"
check "s3 cp unicode key down" s3 cp "s3://$bucket/ünï cödé/ключ.txt" "$f/uni.down"
check "unicode key round trip (cmp)" cmp "$f/uni.txt" "$f/uni.down"

check "s3 cp from stdin" bash -c "printf 'from stdin' | aws --endpoint-url '$endpoint' s3 cp - 's3://$bucket/stdin.txt'"
check "s3 cp to stdout" bash -c "[ \"\$(aws --endpoint-url '$endpoint' s3 cp 's3://$bucket/stdin.txt' -)\" = 'from stdin' ]"

check "s3 cp server-side copy" s3 cp "s3://$bucket/big.bin" "s3://$bucket/copy/big.bin"
check "copied object (cmp)" bash -c "aws --endpoint-url '$endpoint' s3 cp 's3://$bucket/copy/big.bin' '$f/copy.down' && cmp '$f/big.bin' '$f/copy.down'"

s3 ls "s3://$bucket/" >"$f/ls-top" 2>&1
check "s3 ls top level shows PRE dir/ and big.bin" bash -c "grep -q 'PRE dir/' '$f/ls-top' && grep -q ' big.bin\$' '$f/ls-top'"
s3 ls --recursive "s3://$bucket/" >"$f/ls-rec" 2>&1
check "s3 ls --recursive lists 7 objects" bash -c "[ \"\$(wc -l <'$f/ls-rec')\" -eq 7 ]"
check "s3 ls --recursive shows sizes" bash -c "grep -q ' 3145739 big.bin\$' '$f/ls-rec' && grep -q ' 9437190 multi.bin\$' '$f/ls-rec'"
check "s3 ls unicode key" bash -c "grep -q 'ünï cödé/ключ.txt' '$f/ls-rec'"

# s3api
check "s3api put-object with metadata" s3api put-object --bucket "$bucket" --key api/obj.txt \
  --body "$f/small.txt" --content-type text/plain --metadata color=blue,size=small \
  --storage-class STANDARD_IA --cache-control max-age=60
s3api head-object --bucket "$bucket" --key api/obj.txt >"$f/head.json" 2>&1
check "s3api head-object length/type/metadata/storage class" bash -c "
  [ \"\$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[\"ContentLength\"], d[\"ContentType\"], d[\"Metadata\"][\"color\"], d[\"StorageClass\"], d[\"CacheControl\"])' '$f/head.json')\" = '$(wc -c <"$f/small.txt") text/plain blue STANDARD_IA max-age=60' ]"
md5="$(md5sum "$f/small.txt" | cut -d' ' -f1)"
check "s3api head-object ETag is the MD5" bash -c "grep -q '\\\\\"$md5\\\\\"' '$f/head.json'"
check "s3api get-object" s3api get-object --bucket "$bucket" --key api/obj.txt "$f/api.down"
check "s3api get-object round trip (cmp)" cmp "$f/small.txt" "$f/api.down"
check "s3api get-object --range" bash -c "aws --endpoint-url '$endpoint' s3api get-object --bucket '$bucket' --key api/obj.txt --range bytes=0-4 '$f/range.down' >/dev/null && [ \"\$(cat '$f/range.down')\" = hello ]"
check "s3api put-object --content-md5" s3api put-object --bucket "$bucket" --key api/md5.txt --body "$f/small.txt" \
  --content-md5 "$(openssl md5 -binary "$f/small.txt" | base64)"
expect_fail "s3api put-object bad --content-md5 → BadDigest" BadDigest s3api put-object --bucket "$bucket" --key api/bad-md5.txt \
  --body "$f/small.txt" --content-md5 "$(printf 'other' | openssl md5 -binary | base64)"
expect_fail "s3api head-object after BadDigest → 404" "404" s3api head-object --bucket "$bucket" --key api/bad-md5.txt
expect_fail "s3api get-object missing → NoSuchKey" NoSuchKey s3api get-object --bucket "$bucket" --key api/missing "$f/missing.down"
expect_fail "s3api get-object bad range → InvalidRange" InvalidRange s3api get-object --bucket "$bucket" --key api/obj.txt --range bytes=100000- "$f/r.down"
check "s3api list-objects-v2 with prefix" bash -c "
  aws --endpoint-url '$endpoint' s3api list-objects-v2 --bucket '$bucket' --prefix api/ --output json >'$f/list.json' &&
  [ \"\$(python3 -c 'import json,sys; print(sorted(o[\"Key\"] for o in json.load(open(sys.argv[1]))[\"Contents\"]))' '$f/list.json')\" = \"['api/md5.txt', 'api/obj.txt']\" ]"
check "s3api list-objects-v2 paginates (page size 2)" bash -c "
  aws --endpoint-url '$endpoint' s3api list-objects-v2 --bucket '$bucket' --page-size 2 --output json >'$f/paged.json' &&
  [ \"\$(python3 -c 'import json,sys; k=[o[\"Key\"] for o in json.load(open(sys.argv[1]))[\"Contents\"]]; print(len(k), len(set(k)))' '$f/paged.json')\" = '9 9' ]"
check "s3api get-bucket-location" s3api get-bucket-location --bucket "$bucket"
check "s3api head-bucket" s3api head-bucket --bucket "$bucket"
check "s3api copy-object REPLACE" s3api copy-object --bucket "$bucket" --key api/replaced.txt \
  --copy-source "$bucket/api/obj.txt" --metadata-directive REPLACE --metadata color=green
check "s3api copy-object result metadata" bash -c "
  [ \"\$(aws --endpoint-url '$endpoint' s3api head-object --bucket '$bucket' --key api/replaced.txt --query Metadata.color --output text)\" = green ]"
check "s3api delete-objects" s3api delete-objects --bucket "$bucket" \
  --delete '{"Objects":[{"Key":"api/md5.txt"},{"Key":"api/replaced.txt"},{"Key":"never-there"}],"Quiet":false}'
expect_fail "s3 rb on a non-empty bucket → BucketNotEmpty" BucketNotEmpty s3 rb "s3://$bucket"

# bucket default encryption (Tessera encrypts only when asked: no default until one is put)
expect_fail "s3api get-bucket-encryption unset → ServerSideEncryptionConfigurationNotFoundError" \
  ServerSideEncryptionConfigurationNotFoundError s3api get-bucket-encryption --bucket "$bucket"
check "s3api put-bucket-encryption AES256" s3api put-bucket-encryption --bucket "$bucket" \
  --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
check "s3api get-bucket-encryption answers AES256" bash -c "
  [ \"\$(aws --endpoint-url '$endpoint' s3api get-bucket-encryption --bucket '$bucket' --query 'ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm' --output text)\" = AES256 ]"
check "s3 cp under the default is encrypted (head-object AES256)" bash -c "
  aws --endpoint-url '$endpoint' s3 cp '$f/small.txt' 's3://$bucket/enc/small.txt' >/dev/null &&
  [ \"\$(aws --endpoint-url '$endpoint' s3api head-object --bucket '$bucket' --key enc/small.txt --query ServerSideEncryption --output text)\" = AES256 ]"
check "s3api delete-bucket-encryption" s3api delete-bucket-encryption --bucket "$bucket"
expect_fail "s3api get-bucket-encryption after delete → ServerSideEncryptionConfigurationNotFoundError" \
  ServerSideEncryptionConfigurationNotFoundError s3api get-bucket-encryption --bucket "$bucket"

# presign (SigV4 from the cli) fetched with curl
url="$(s3 presign "s3://$bucket/dir/small.txt" --expires-in 300 2>/dev/null)"
check "s3 presign + curl" bash -c "curl -sf '$url' -o '$f/presigned.down' && cmp '$f/small.txt' '$f/presigned.down'"

# wrong credentials
expect_fail "wrong secret → SignatureDoesNotMatch" SignatureDoesNotMatch \
  env AWS_SECRET_ACCESS_KEY=wrong-secret aws --endpoint-url "$endpoint" s3api list-buckets
expect_fail "unknown key → InvalidAccessKeyId" InvalidAccessKeyId \
  env AWS_ACCESS_KEY_ID=AKIAUNKNOWN000000000 aws --endpoint-url "$endpoint" s3api list-buckets

check "s3 rm one object" s3 rm "s3://$bucket/dir/small.txt"
expect_fail "removed object is gone → 404" "404" s3api head-object --bucket "$bucket" --key dir/small.txt
check "s3 rm --recursive" s3 rm --recursive "s3://$bucket/"
check "bucket is empty" bash -c "[ -z \"\$(aws --endpoint-url '$endpoint' s3 ls --recursive 's3://$bucket/')\" ]"
check "s3 rb" s3 rb "s3://$bucket"
expect_fail "s3api head-bucket after rb → 404" "404" s3api head-bucket --bucket "$bucket"
check "s3 ls no longer lists the bucket" bash -c "! aws --endpoint-url '$endpoint' s3 ls | grep -q ' $bucket\$'"

# s3 mb + rb with --force (empties first)
check "s3 rb --force" bash -c "aws --endpoint-url '$endpoint' s3 mb 's3://$bucket-force' >/dev/null &&
  aws --endpoint-url '$endpoint' s3 cp '$f/small.txt' 's3://$bucket-force/a' >/dev/null &&
  aws --endpoint-url '$endpoint' s3 rb --force 's3://$bucket-force' >/dev/null"

e2e_finish
