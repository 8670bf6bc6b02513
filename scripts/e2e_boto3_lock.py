#!/usr/bin/env python3
"""End-to-end: S3 Object Lock (issue 11) with stock boto3 against a real
Tessera binary.

Usage:  TESSERA_BIN=/path/to/tessera python3 scripts/e2e_boto3_lock.py

Starts the binary on a free 127.0.0.1 port with a temporary --data
directory and explicit --root-user/--root-password, and checks, with
boto3's default settings (which send a CRC32 checksum on every write, as
S3 requires of lock writes):

  * create_bucket(ObjectLockEnabledForBucket=True): versioning Enabled,
    Suspended refused with 409 InvalidBucketState; the lock configuration
    starts as {ObjectLockEnabled: Enabled}, takes a GOVERNANCE Days and a
    COMPLIANCE Years default retention, and gives them back as put;
  * put_object with ObjectLockMode/RetainUntilDate/LegalHoldStatus, shown
    by head_object and get_object; the default retention on a put without
    them (LastModified + the period);
  * put/get_object_retention: extend freely, shorten only with
    BypassGovernanceRetention, COMPLIANCE never; put/get_object_legal_hold
    ON and OFF;
  * delete_object of a protected version refused (403 AccessDenied), with
    the bypass allowed for GOVERNANCE only; delete_object without a version
    adds a delete marker; delete_objects answers per key;
  * a multipart upload with lock parameters (each part carries boto3's
    checksum) completes into a locked object; copy_object does not copy the
    source's lock;
  * on a bucket without lock: ObjectLockConfigurationNotFoundError, lock
    headers refused, the bypass header refused;
  * with request_checksum_calculation="when_required" boto3 sends no
    checksum on put_object, and S3's InvalidRequest for a lock write
    without Content-MD5 or a checksum comes back;
  * everything survives a restart of the binary.

The harness (scripts/e2e_harness.py) removes every AWS_* variable and
points the shared config/credentials files at /dev/null. The last line
printed is `e2e-boto3-lock: N passed, M failed`; the exit status is
non-zero when anything failed. The server is killed at exit.
"""

import datetime
import sys

from e2e_harness import MIB, REGION, Results, Server, check, client_error, setup

NAME = "e2e-boto3-lock"
RES = Results(NAME, trace=True)

PROTECTED = "Access Denied because object protected by object lock."
MD5_PUT = "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters"


def utc(dt):
    return dt.astimezone(datetime.timezone.utc)


def future(**delta):
    """A whole second in the future (S3 keeps milliseconds)."""
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(**delta)
    return t.replace(microsecond=0)


def scenario(srv):
    s3 = srv.client()
    b = "e2e-lock"
    plain = "e2e-lock-plain"
    state = {}

    def create():
        s3.create_bucket(Bucket=b, ObjectLockEnabledForBucket=True)
        s3.create_bucket(Bucket=plain)
        check(s3.get_bucket_versioning(Bucket=b).get("Status") == "Enabled", "lock bucket not versioning Enabled")
        client_error(lambda: s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"}),
                     409, "InvalidBucketState",
                     "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
        cfg = s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
        check(cfg == {"ObjectLockEnabled": "Enabled"}, "initial configuration %r" % cfg)
    RES.run("create_bucket with Object Lock: versioning Enabled for good, configuration Enabled", create)

    def config():
        for rule in ({"Mode": "COMPLIANCE", "Years": 1}, {"Mode": "GOVERNANCE", "Days": 1}):
            s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": rule}})
            got = s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
            check(got == {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": rule}}, "got %r for %r" % (got, rule))
        client_error(lambda: s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0}}}),
            400, "InvalidArgument", "Default retention period must be a positive integer value.")
    RES.run("put/get_object_lock_configuration round-trip Days and Years; Days 0 refused", config)

    def default_retention():
        r = s3.put_object(Bucket=b, Key="default", Body=b"default")
        check(not any(k.startswith("ObjectLock") for k in r), "put_object answered with lock fields: %r" % r)
        h = s3.head_object(Bucket=b, Key="default")
        check(h.get("ObjectLockMode") == "GOVERNANCE", "mode %r" % h.get("ObjectLockMode"))
        want = utc(h["LastModified"]) + datetime.timedelta(days=1)
        got = utc(h["ObjectLockRetainUntilDate"])
        check(datetime.timedelta(0) <= got - want < datetime.timedelta(seconds=1), "until %s, want %s" % (got, want))
        state["default"] = r["VersionId"]
    RES.run("a put without lock headers gets the default retention, LastModified + 1 day", default_retention)

    def explicit():
        until = future(days=2)
        r = s3.put_object(Bucket=b, Key="gov", Body=b"gov", ObjectLockMode="GOVERNANCE",
                          ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")
        state["gov"], state["until"] = r["VersionId"], until
        for out in (s3.head_object(Bucket=b, Key="gov"), s3.get_object(Bucket=b, Key="gov")):
            check(out.get("ObjectLockMode") == "GOVERNANCE", "mode %r" % out.get("ObjectLockMode"))
            check(out.get("ObjectLockRetainUntilDate") == until, "until %r" % out.get("ObjectLockRetainUntilDate"))
            check(out.get("ObjectLockLegalHoldStatus") == "ON", "hold %r" % out.get("ObjectLockLegalHoldStatus"))
        r = s3.get_object_retention(Bucket=b, Key="gov", VersionId=state["gov"])["Retention"]
        check(r == {"Mode": "GOVERNANCE", "RetainUntilDate": until}, "retention %r" % r)
    RES.run("put_object with lock headers; head/get_object and get_object_retention show them", explicit)

    def legal_hold():
        v = state["gov"]
        client_error(lambda: s3.delete_object(Bucket=b, Key="gov", VersionId=v, BypassGovernanceRetention=True),
                     403, "AccessDenied", PROTECTED)
        s3.put_object_legal_hold(Bucket=b, Key="gov", VersionId=v, LegalHold={"Status": "OFF"})
        check(s3.get_object_legal_hold(Bucket=b, Key="gov", VersionId=v)["LegalHold"] == {"Status": "OFF"}, "hold not OFF")
        check(s3.head_object(Bucket=b, Key="gov", VersionId=v).get("ObjectLockLegalHoldStatus") == "OFF", "HEAD hold not OFF")
        client_error(lambda: s3.get_object_legal_hold(Bucket=b, Key="default"), 404, "NoSuchObjectLockConfiguration")
    RES.run("legal hold blocks even a bypass; OFF is reported; never set is NoSuchObjectLockConfiguration", legal_hold)

    def retention_rules():
        v, until = state["gov"], state["until"]
        s3.put_object_retention(Bucket=b, Key="gov", VersionId=v,
                                Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until + datetime.timedelta(days=1)})
        shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": until - datetime.timedelta(hours=1)}
        client_error(lambda: s3.put_object_retention(Bucket=b, Key="gov", VersionId=v, Retention=shorter),
                     403, "AccessDenied", "Access Denied")
        s3.put_object_retention(Bucket=b, Key="gov", VersionId=v, Retention=shorter, BypassGovernanceRetention=True)
        got = s3.get_object_retention(Bucket=b, Key="gov", VersionId=v)["Retention"]
        check(got == shorter, "retention %r, want %r" % (got, shorter))
        client_error(lambda: s3.put_object_retention(Bucket=b, Key="gov", VersionId=v,
                                                     Retention={"Mode": "COMPLIANCE", "RetainUntilDate": datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)}),
                     400, "InvalidArgument", "The retain until date must be in the future!")
    RES.run("put_object_retention: extend freely, shorten only with the bypass, past date refused", retention_rules)

    def deletes():
        v = state["gov"]
        client_error(lambda: s3.delete_object(Bucket=b, Key="gov", VersionId=v), 403, "AccessDenied", PROTECTED)
        comp = s3.put_object(Bucket=b, Key="comp", Body=b"c", ObjectLockMode="COMPLIANCE",
                             ObjectLockRetainUntilDate=future(days=1))["VersionId"]
        client_error(lambda: s3.delete_object(Bucket=b, Key="comp", VersionId=comp, BypassGovernanceRetention=True),
                     403, "AccessDenied", PROTECTED)
        client_error(lambda: s3.put_object_retention(Bucket=b, Key="comp", VersionId=comp, BypassGovernanceRetention=True,
                                                     Retention={"Mode": "GOVERNANCE", "RetainUntilDate": future(days=1)}),
                     403, "AccessDenied")
        m = s3.delete_object(Bucket=b, Key="comp")
        check(m.get("DeleteMarker") is True and m.get("VersionId"), "no delete marker: %r" % m)
        client_error(lambda: s3.get_object_retention(Bucket=b, Key="comp", VersionId=m["VersionId"]), 405, "MethodNotAllowed")
        s3.put_object(Bucket=plain, Key="x", Body=b"x")  # for the bucket-without-lock checks
        out = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "comp", "VersionId": comp},
                                                              {"Key": "default", "VersionId": state["default"]}]})
        errs = {e["Key"]: (e["Code"], e["Message"]) for e in out.get("Errors", [])}
        check(errs == {"comp": ("AccessDenied", PROTECTED), "default": ("AccessDenied", PROTECTED)}, "errors %r" % errs)
        out = s3.delete_objects(Bucket=b, BypassGovernanceRetention=True,
                                Delete={"Objects": [{"Key": "default", "VersionId": state["default"]}]})
        check([d["Key"] for d in out.get("Deleted", [])] == ["default"] and not out.get("Errors"), "bypass delete_objects %r" % out)
        s3.delete_object(Bucket=b, Key="gov", VersionId=v, BypassGovernanceRetention=True)
        state["comp"] = comp
    RES.run("deletes: protected versions 403, bypass for GOVERNANCE only, markers, delete_objects per key", deletes)

    def multipart_and_copy():
        until = future(days=3)
        u = s3.create_multipart_upload(Bucket=b, Key="mp", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)
        parts = []
        for n in (1, 2):
            p = s3.upload_part(Bucket=b, Key="mp", UploadId=u["UploadId"], PartNumber=n, Body=(b"a" * (5 * MIB) if n == 1 else b"tail"))
            part = {"PartNumber": n, "ETag": p["ETag"]}
            for k in ("ChecksumCRC32", "ChecksumCRC64NVME", "ChecksumCRC32C", "ChecksumSHA1", "ChecksumSHA256"):
                if k in p:
                    part[k] = p[k]
            parts.append(part)
        s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=u["UploadId"], MultipartUpload={"Parts": parts})
        h = s3.head_object(Bucket=b, Key="mp")
        check(h.get("ObjectLockMode") == "COMPLIANCE" and h.get("ObjectLockRetainUntilDate") == until, "multipart head %r" % h)
        s3.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
        s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "mp"})
        h = s3.head_object(Bucket=b, Key="copy")
        check("ObjectLockMode" not in h and "ObjectLockLegalHoldStatus" not in h, "copy carried the lock: %r" % h)
    RES.run("multipart upload with lock headers completes locked; copy_object copies no lock", multipart_and_copy)

    def without_lock():
        client_error(lambda: s3.get_object_lock_configuration(Bucket=plain), 404, "ObjectLockConfigurationNotFoundError",
                     "Object Lock configuration does not exist for this bucket")
        client_error(lambda: s3.put_object(Bucket=plain, Key="k", Body=b"k", ObjectLockLegalHoldStatus="ON"),
                     400, "InvalidRequest", "Bucket is missing ObjectLockConfiguration")
        client_error(lambda: s3.put_object_retention(Bucket=plain, Key="x", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": future(days=1)}),
                     400, "InvalidRequest", "Bucket is missing Object Lock Configuration")
        client_error(lambda: s3.delete_object(Bucket=plain, Key="x", BypassGovernanceRetention=True), 400, "InvalidArgument",
                     "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.")
        client_error(lambda: s3.put_object_lock_configuration(Bucket=plain, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}),
                     409, "InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
    RES.run("a bucket without lock: S3's answers to every lock call", without_lock)

    def when_required():
        # botocore computes no checksum for PutObject in this mode; S3
        # requires Content-MD5 or a checksum of a lock write.
        c = srv.client(request_checksum_calculation="when_required")
        client_error(lambda: c.put_object(Bucket=b, Key="nock", Body=b"x", ObjectLockMode="GOVERNANCE",
                                          ObjectLockRetainUntilDate=future(days=1)),
                     400, "InvalidRequest", MD5_PUT)
        c.put_object(Bucket=plain, Key="nock", Body=b"x")  # no lock parameters: nothing required
    RES.run("a lock write without Content-MD5 or a checksum is refused", when_required)
    return b, state


def after_restart(srv, b, state):
    s3 = srv.client()

    def survived():
        cfg = s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
        check(cfg == {"ObjectLockEnabled": "Enabled"}, "configuration %r" % cfg)
        r = s3.get_object_retention(Bucket=b, Key="comp", VersionId=state["comp"])["Retention"]
        check(r["Mode"] == "COMPLIANCE", "retention %r" % r)
        client_error(lambda: s3.delete_object(Bucket=b, Key="comp", VersionId=state["comp"], BypassGovernanceRetention=True),
                     403, "AccessDenied", PROTECTED)
        client_error(lambda: s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"}),
                     409, "InvalidBucketState")
    RES.run("locks, configuration and versioning survive a restart", survived)


def main():
    binary = setup(NAME)
    srv = Server(binary, NAME, args=["--region", REGION])

    def run():
        srv.start()
        b, state = scenario(srv)
        srv.stop()
        srv.start()
        after_restart(srv, b, state)
    RES.phase("server", run)
    return RES.summary()


if __name__ == "__main__":
    sys.exit(main())
