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

Every AWS_* variable is removed and the shared config/credentials files are
pointed at /dev/null; the client gets explicit endpoint, credentials and
region. The last line printed is `e2e-boto3-lifecycle: N passed, M failed`;
the exit status is non-zero when anything failed. The server is killed at
exit.
"""

import atexit
import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

ROOT_USER = "e2elifecycleroot"
ROOT_PASSWORD = "e2e-lifecycle-secret-0123456789"
REGION = "us-east-1"

passed, failed = 0, 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   ", name)
    else:
        failed += 1
        print("FAIL ", name, detail)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The tessera binary on a free port; stop() kills it (and is idempotent)."""

    def __init__(self, binary, data):
        self.binary, self.data, self.proc = binary, data, None
        self.log_path = os.path.join(os.path.dirname(data), "server.log")

    def start(self):
        port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % port
        args = [self.binary, "server", "--address", "127.0.0.1:%d" % port, "--data", self.data,
                "--root-user", ROOT_USER, "--root-password", ROOT_PASSWORD, "--region", REGION,
                "--lifecycle-interval", "1s", "--log-level", "debug"]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s; log: %s" % (self.proc.returncode, self.log_path))
            try:
                with urllib.request.urlopen(self.endpoint + "/_tessera/health/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server not ready; log: %s" % self.log_path)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        self.log.close()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


def client(endpoint):
    import boto3
    from botocore.config import Config
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=ROOT_USER, aws_secret_access_key=ROOT_PASSWORD,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


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
    s3 = client(srv.endpoint)
    bucket = "e2e-lifecycle"
    s3.create_bucket(Bucket=bucket)

    code, _ = error_code(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    check("get without configuration: NoSuchLifecycleConfiguration", code == "NoSuchLifecycleConfiguration", code)

    code, msg = error_code(lambda: s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "bad", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 0}}]}))
    check("Days 0 refused as S3 refuses it", code == "InvalidArgument" and msg == "'Days' for Expiration action must be a positive integer",
          "%s %r" % (code, msg))

    rules = [
        {"ID": "abort-uploads-after-3-days", "Status": "Enabled", "Filter": {"Prefix": "uploads/"},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}},
        {"Status": "Enabled", "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "class", "Value": "debug"}]}},
         "Expiration": {"Days": 30}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    check("round-trip keeps both rules", len(got) == 2, got)
    check("abort rule read back", got[0].get("ID") == "abort-uploads-after-3-days"
          and got[0].get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 3}
          and got[0].get("Filter") == {"Prefix": "uploads/"}, got[0])
    generated = got[1].get("ID", "")
    check("rule without ID gets a 48-character ID", len(generated) == 48, generated)
    check("And filter read back", got[1].get("Filter", {}).get("And", {}).get("Tags") == [{"Key": "class", "Value": "debug"}], got[1])

    up = s3.create_multipart_upload(Bucket=bucket, Key="uploads/movie.mkv")
    uid = up["UploadId"]
    want = due(initiated_of(s3, bucket, "uploads/movie.mkv", uid), 3)
    check("create_multipart_upload AbortDate", up.get("AbortDate") == want, "%s != %s" % (up.get("AbortDate"), want))
    check("create_multipart_upload AbortRuleId", up.get("AbortRuleId") == "abort-uploads-after-3-days", up.get("AbortRuleId"))
    raw_date = up["ResponseMetadata"]["HTTPHeaders"].get("x-amz-abort-date", "")
    check("x-amz-abort-date is an HTTP-date at midnight GMT", raw_date.endswith(" 00:00:00 GMT"), raw_date)
    s3.upload_part(Bucket=bucket, Key="uploads/movie.mkv", UploadId=uid, PartNumber=1, Body=b"x" * 1024)
    lp = s3.list_parts(Bucket=bucket, Key="uploads/movie.mkv", UploadId=uid)
    check("list_parts AbortDate", lp.get("AbortDate") == want, lp.get("AbortDate"))
    check("list_parts AbortRuleId", lp.get("AbortRuleId") == "abort-uploads-after-3-days", lp.get("AbortRuleId"))

    other = s3.create_multipart_upload(Bucket=bucket, Key="elsewhere/file")
    check("no AbortDate for a key no rule matches", "AbortDate" not in other and "AbortRuleId" not in other, other)
    lp2 = s3.list_parts(Bucket=bucket, Key="elsewhere/file", UploadId=other["UploadId"])
    check("no AbortDate in list_parts for it", "AbortDate" not in lp2 and "AbortRuleId" not in lp2, lp2)
    return s3, bucket, uid, want, got


def after_restart(srv, bucket, uid, want, before):
    s3 = client(srv.endpoint)
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    check("configuration identical after restart", got == before, got)
    time.sleep(2.5)  # a couple of worker passes at --lifecycle-interval 1s
    lp = s3.list_parts(Bucket=bucket, Key="uploads/movie.mkv", UploadId=uid)
    check("upload not yet due survives restart and worker passes", len(lp.get("Parts", [])) == 1, lp.get("Parts"))
    check("list_parts AbortDate after restart", lp.get("AbortDate") == want, lp.get("AbortDate"))
    check("worker running", "lifecycle worker running" in srv.log_text(), "no 'lifecycle worker running' in the log")

    s3.delete_bucket_lifecycle(Bucket=bucket)
    code, _ = error_code(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    check("get after delete: NoSuchLifecycleConfiguration", code == "NoSuchLifecycleConfiguration", code)
    lp = s3.list_parts(Bucket=bucket, Key="uploads/movie.mkv", UploadId=uid)
    check("no AbortDate once the configuration is deleted", "AbortDate" not in lp, lp.get("AbortDate"))


def main():
    binary = os.environ.get("TESSERA_BIN")
    if not binary:
        print("TESSERA_BIN is not set")
        print("e2e-boto3-lifecycle: 0 passed, 1 failed")
        return 1
    for k in list(os.environ):
        if k.startswith("AWS_"):
            del os.environ[k]
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    tmp = tempfile.mkdtemp(prefix="tessera-e2e-lifecycle-")
    srv = Server(binary, os.path.join(tmp, "data"))
    atexit.register(lambda: (srv.stop(), shutil.rmtree(tmp, ignore_errors=True)))
    global failed
    try:
        srv.start()
        _, bucket, uid, want, rules = scenario(srv)
        srv.stop()
        srv.start()
        after_restart(srv, bucket, uid, want, rules)
    except Exception:
        traceback.print_exc()
        failed += 1
        if os.path.exists(srv.log_path):
            print("--- server log (tail) ---")
            print(srv.log_text()[-4000:])
    print("e2e-boto3-lifecycle: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
