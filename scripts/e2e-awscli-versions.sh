#!/usr/bin/env bash
# End-to-end: bucket versioning with the installed aws cli against a real
# Tessera binary (issue 11), the commands the README shows.
#
# Usage:  TESSERA_BIN=/path/to/tessera scripts/e2e-awscli-versions.sh
#
# Starts "$TESSERA_BIN server" on a free 127.0.0.1 port with a temporary
# --data directory and explicit root credentials (the harness:
# scripts/e2e-lib.sh), and checks:
#
#   * s3api get-bucket-versioning on a fresh bucket prints nothing;
#     put-bucket-versioning Status=Enabled, read back;
#   * `s3 cp` twice makes two versions; list-object-versions lists them
#     newest first with IsLatest; get-object --version-id downloads each
#     byte-exact;
#   * `s3 rm` makes a delete marker: `s3 ls` no longer shows the file,
#     head-object fails 404, list-object-versions shows the marker as
#     latest; delete-object --version-id of the marker brings the file back;
#   * delete-object --version-id of a version removes only that version;
#     copy-object --copy-source 'bucket/key?versionId=…' restores an older
#     version as a new latest;
#   * the S3 answers to a bad --version-id (InvalidArgument) and to
#     --version-id-marker without --key-marker;
#   * put-bucket-versioning Status=Suspended: put-object prints no VersionId.
#
# Exits non-zero on any failure; the server is killed on exit. The last line
# printed is exactly "e2e-awscli-versions: N passed, M failed".
set -uo pipefail

NAME=e2e-awscli-versions
# shellcheck source=scripts/e2e-lib.sh
. "$(dirname "$0")/e2e-lib.sh"
e2e_init E2EVERROOT e2e/versions
e2e_start

bucket=e2e-versions
files="$work/files"
head -c 300000 /dev/urandom >"$files/v1"
head -c 200000 /dev/urandom >"$files/v2"

# want VALUE COMMAND...: the command prints exactly VALUE (the cli's text
# output separates fields by tabs; they are compared as spaces).
want() {
  local v="$1"; shift
  local got
  got="$("$@" | tr '\t' ' ')" || return 1
  [ "$got" = "$v" ] || { echo "got [$got], want [$v]"; return 1; }
}

check "create bucket" s3api create-bucket --bucket "$bucket"
check "get-bucket-versioning on a fresh bucket prints nothing" want "" s3api get-bucket-versioning --bucket "$bucket" --output text
check "put-bucket-versioning Enabled" s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
check "get-bucket-versioning Enabled" want "Enabled" s3api get-bucket-versioning --bucket "$bucket" --query Status --output text

check "s3 cp v1" s3 cp "$files/v1" "s3://$bucket/report.bin"
check "s3 cp v2" s3 cp "$files/v2" "s3://$bucket/report.bin"
# vq QUERY: a JMESPath query of list-object-versions, as text.
vq() { s3api list-object-versions --bucket "$bucket" --query "$1" --output text; }
v2id="$(vq 'Versions[0].VersionId')"
v1id="$(vq 'Versions[1].VersionId')"
check "list-object-versions: two, newest first" want "2 True False 200000 300000" \
  vq '[length(Versions), Versions[0].IsLatest, Versions[1].IsLatest, Versions[0].Size, Versions[1].Size]'
check "get-object --version-id (old)" s3api get-object --bucket "$bucket" --key report.bin --version-id "$v1id" "$files/got1"
check "old version byte-exact" cmp "$files/v1" "$files/got1"
check "get-object --version-id (new)" s3api get-object --bucket "$bucket" --key report.bin --version-id "$v2id" "$files/got2"
check "new version byte-exact" cmp "$files/v2" "$files/got2"
check "head-object --version-id names it" want "$v1id" s3api head-object --bucket "$bucket" --key report.bin --version-id "$v1id" --query VersionId --output text

check "s3 rm makes a delete marker" s3 rm "s3://$bucket/report.bin"
check "s3 ls no longer shows it" want "" s3 ls "s3://$bucket/"
expect_fail "head-object of the deleted key: 404" "404" s3api head-object --bucket "$bucket" --key report.bin
dm="$(vq 'DeleteMarkers[0].VersionId')"
check "the marker is latest, the versions are not" want "True False False" vq '[DeleteMarkers[0].IsLatest, Versions[0].IsLatest, Versions[1].IsLatest]'
expect_fail "get-object --version-id of the marker: 405" "MethodNotAllowed" s3api get-object --bucket "$bucket" --key report.bin --version-id "$dm" "$files/x"
check "delete-object --version-id of the marker" want "True $dm" s3api delete-object --bucket "$bucket" --key report.bin --version-id "$dm" --query '[DeleteMarker,VersionId]' --output text
check "the file is back" s3 cp "s3://$bucket/report.bin" "$files/back"
check "back byte-exact (the newer version)" cmp "$files/v2" "$files/back"

check "copy-object from the old version restores it" want "$v1id" s3api copy-object --bucket "$bucket" --key report.bin \
  --copy-source "$bucket/report.bin?versionId=$v1id" --query CopySourceVersionId --output text
check "download the restored latest" s3api get-object --bucket "$bucket" --key report.bin "$files/restored"
check "restored equals the old version" cmp "$files/v1" "$files/restored"

check "three versions now" want "3" vq 'length(Versions)'
check "delete-object --version-id of the middle version" want "$v2id" s3api delete-object --bucket "$bucket" --key report.bin --version-id "$v2id" --query VersionId --output text
check "only that version went" want "2 $v1id" vq '[length(Versions), Versions[1].VersionId]'
check "the latest is still the restored copy" s3 cp "s3://$bucket/report.bin" "$files/older"
check "latest byte-exact" cmp "$files/v1" "$files/older"

expect_fail "bad --version-id: InvalidArgument" "InvalidArgument" s3api get-object --bucket "$bucket" --key report.bin --version-id not-an-id "$files/x"
expect_fail "--version-id-marker without --key-marker" "A version-id marker cannot be specified without a key marker" \
  s3api list-object-versions --bucket "$bucket" --version-id-marker "$v1id"

restart "restart on the same data" --
check "versions survive the restart" want "2 $v1id" vq '[length(Versions), Versions[1].VersionId]'

check "put-bucket-versioning Suspended" s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Suspended
check "put-object on Suspended prints no VersionId" want "None" s3api put-object --bucket "$bucket" --key report.bin --body "$files/v2" --query VersionId --output text
check "the null version is latest, the real ones kept" want "null True False 3" vq '[Versions[0].VersionId, Versions[0].IsLatest, Versions[1].IsLatest, length(Versions)]'

e2e_finish
