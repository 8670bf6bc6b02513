#!/usr/bin/env python3
"""End-to-end: bucket lifecycle through stock boto3 against a real Tessera
binary (issue 6: AbortIncompleteMultipartUpload with AbortDate/AbortRuleId).

Usage:  TESSERA_BIN=/path/to/tessera python3 scripts/e2e_boto3_lifecycle.py

The script starts the binary on a free 127.0.0.1 port with a temporary
--data directory, explicit --root-user/--root-password and a short
--lifecycle-interval, and checks with boto3's default settings:

  * put/get_bucket_lifecycle_configuration round-trip (boto3 sends a CRC32
    checksum, not Content-MD5), a generated rule ID, and the answer to a
    configuration S3 refuses;
  * create_multipart_upload and list_parts report AbortDate (midnight UTC,
    initiation + DaysAfterInitiation rounded up) and AbortRuleId for a key
    the rule matches, and neither for one it does not;
  * the configuration and the headers survive a restart of the binary, and
    the running worker aborts nothing that is not due;
  * delete_bucket_lifecycle, after which get answers
    NoSuchLifecycleConfiguration and the headers are gone.

The harness (scripts/e2e_harness.py) removes every AWS_* variable and
points the shared config/credentials files at /dev/null; the client gets
explicit endpoint, credentials and region. The last line printed is
`e2e-boto3-lifecycle: N passed, M failed`; the exit status is non-zero when
anything failed. The server is killed at exit.
"""

import datetime
import sys
import time

from e2e_harness import REGION, Results, Server, setup

NAME = "e2e-boto3-lifecycle"
RES = Results(NAME, trace=True)


def error_code(fn):
    from botocore.exceptions import ClientError
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    return None, None


def due(initiated, days):
    """S3's lifecycle rounding: initiation + days, up to the next midnight UTC."""
    t = initiated.astimezone(datetime.timezone.utc) + datetime.timedelta(days=days)
    return datetime.datetime(t.year, t.month, t.day, tzinfo=datetime.timezone.utc) + datetime.timedelta(days=1)


def initiated_of(s3, bucket, key, upload_id):
    for u in s3.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", []):
        if u["UploadId"] == upload_id:
            return u["Initiated"]
    raise AssertionError("upload %s not listed" % upload_id)


def scenario(srv):
    s3 = srv.client()
    bucket = "e2e-lifecycle"
    s3.create_bucket(Bucket=bucket)

    code, _ = error_code(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    RES.record("get without configuration: NoSuchLifecycleConfiguration", code == "NoSuchLifecycleConfiguration", code)

    code, msg = error_code(lambda: s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "bad", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 0}}]}))
    RES.record("Days 0 refused as S3 refuses it", code == "InvalidArgument" and msg == "'Days' for Expiration action must be a positive integer",
               "%s %r" % (code, msg))

    rules = [
        {"ID": "abort-uploads-after-3-days", "Status": "Enabled", "Filter": {"Prefix": "uploads/"},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}},
        {"Status": "Enabled", "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "class", "Value": "debug"}]}},
         "Expiration": {"Days": 30}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    RES.record("round-trip keeps both rules", len(got) == 2, got)
    RES.record("abort rule read back", got[0].get("ID") == "abort-uploads-after-3-days"
               and got[0].get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 3}
               and got[0].get("Filter") == {"Prefix": "uploads/"}, got[0])
    generated = got[1].get("ID", "")
    RES.record("rule without ID gets a 48-character ID", len(generated) == 48, generated)
    RES.record("And filter read back", got[1].get("Filter", {}).get("And", {}).get("Tags") == [{"Key": "class", "Value": "debug"}], got[1])

    up = s3.create_multipart_upload(Bucket=bucket, Key="uploads/movie.mkv")
    uid = up["UploadId"]
    want = due(initiated_of(s3, bucket, "uploads/movie.mkv", uid), 3)
    RES.record("create_multipart_upload AbortDate", up.get("AbortDate") == want, "%s != %s" % (up.get("AbortDate"), want))
    RES.record("create_multipart_upload AbortRuleId", up.get("AbortRuleId") == "abort-uploads-after-3-days", up.get("AbortRuleId"))
    raw_date = up["ResponseMetadata"]["HTTPHeaders"].get("x-amz-abort-date", "")
    RES.record("x-amz-abort-date is an HTTP-date at midnight GMT", raw_date.endswith(" 00:00:00 GMT"), raw_date)
    s3.upload_part(Bucket=bucket, Key="uploads/movie.mkv", UploadId=uid, PartNumber=1, Body=b"x" * 1024)
    lp = s3.list_parts(Bucket=bucket, Key="uploads/movie.mkv", UploadId=uid)
    RES.record("list_parts AbortDate", lp.get("AbortDate") == want, lp.get("AbortDate"))
    RES.record("list_parts AbortRuleId", lp.get("AbortRuleId") == "abort-uploads-after-3-days", lp.get("AbortRuleId"))

    other = s3.create_multipart_upload(Bucket=bucket, Key="elsewhere/file")
    RES.record("no AbortDate for a key no rule matches", "AbortDate" not in other and "AbortRuleId" not in other, other)
    lp2 = s3.list_parts(Bucket=bucket, Key="elsewhere/file", UploadId=other["UploadId"])
    RES.record("no AbortDate in list_parts for it", "AbortDate" not in lp2 and "AbortRuleId" not in lp2, lp2)
    return s3, bucket, uid, want, got


def after_restart(srv, bucket, uid, want, before):
    s3 = srv.client()
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    RES.record("configuration identical after restart", got == before, got)
    time.sleep(2.5)  # a couple of worker passes at --lifecycle-interval 1s
    lp = s3.list_parts(Bucket=bucket, Key="uploads/movie.mkv", UploadId=uid)
    RES.record("upload not yet due survives restart and worker passes", len(lp.get("Parts", [])) == 1, lp.get("Parts"))
    RES.record("list_parts AbortDate after restart", lp.get("AbortDate") == want, lp.get("AbortDate"))
    RES.record("worker running", "lifecycle worker running" in srv.log_text(), "no 'lifecycle worker running' in the log")

    s3.delete_bucket_lifecycle(Bucket=bucket)
    code, _ = error_code(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    RES.record("get after delete: NoSuchLifecycleConfiguration", code == "NoSuchLifecycleConfiguration", code)
    lp = s3.list_parts(Bucket=bucket, Key="uploads/movie.mkv", UploadId=uid)
    RES.record("no AbortDate once the configuration is deleted", "AbortDate" not in lp, lp.get("AbortDate"))


def main():
    binary = setup(NAME)
    srv = Server(binary, NAME, args=["--region", REGION, "--lifecycle-interval", "1s", "--log-level", "debug"])

    def journey():
        srv.start()
        _, bucket, uid, want, rules = scenario(srv)
        srv.stop()
        srv.start()
        after_restart(srv, bucket, uid, want, rules)

    RES.phase("lifecycle journey", journey)
    return RES.summary()


if __name__ == "__main__":
    sys.exit(main())
