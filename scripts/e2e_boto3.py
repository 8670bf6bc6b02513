#!/usr/bin/env python3
"""End-to-end: stock boto3 against a real Tessera binary.

Usage:  TESSERA_BIN=/path/to/tessera python3 scripts/e2e_boto3.py

Builds nothing. For plain HTTP and for HTTPS (a self-signed certificate;
over HTTPS boto3 sends aws-chunked bodies with a trailing checksum), the
script starts "$TESSERA_BIN server" on a free 127.0.0.1 port
with a temporary --data directory and explicit --root-user/--root-password,
waits for /_tessera/health/ready, and drives it with boto3's default
settings: buckets, put/get/head (metadata, ranges, Content-MD5), the
transfer manager (multipart), list v2/v1 with paginators and URL-encoded
keys, copy, delete, delete_objects, and presigned URLs from
generate_presigned_url — boto3's default form for a custom endpoint and
SigV4 — fetched with urllib, including tampered and expired ones.

The harness (scripts/e2e_harness.py) removes every AWS_* variable and points
the shared config/credentials files at /dev/null, so nothing in the
environment changes boto3's behaviour.

The last line printed is `e2e-boto3: N passed, M failed`; the exit status is
non-zero when anything failed. Servers are killed at exit.
"""

import hashlib
import io
import os
import secrets
import sys
import time

import boto3
import botocore
from boto3.s3.transfer import TransferConfig

from e2e_harness import MIB, Results, Server, check, client_error, setup

NAME = "e2e-boto3"
RES = Results(NAME, trace=True)
# boto3's own defaults for everything but the retries: no addressing style
# forced, standard retry mode with a single attempt.
DEFAULTS = {"s3": None, "retries": {"max_attempts": 1, "mode": "standard"}}


def md5hex(b):
    return hashlib.md5(b).hexdigest()


def run(binary, tls):
    srv = Server(binary, NAME, tls=tls, user="E2EBOTO3ROOT" + secrets.token_hex(4).upper(),
                 password="e2e/boto3/" + secrets.token_hex(16)).start()
    s = "https" if tls else "http"
    print(f"--- {s}: {binary} at {srv.endpoint}")
    c = srv.client(**DEFAULTS)
    bucket = f"e2e-boto3-{s}-{secrets.token_hex(3)}"
    small = b"hello from boto3\n"
    big = os.urandom(3 * MIB + 11)
    huge = os.urandom(12 * MIB + 5)

    RES.run(f"{s}: create_bucket", lambda: c.create_bucket(Bucket=bucket))
    # In us-east-1 S3 answers a re-create of your own bucket with 200 (the
    # legacy rule: aws-sdk-go-v2's BucketAlreadyOwnedByYou doc; research12 §8).
    RES.run(f"{s}: create_bucket again → 200 (us-east-1 legacy rule)",
            lambda: c.create_bucket(Bucket=bucket))
    RES.run(f"{s}: create_bucket invalid name → InvalidBucketName",
            lambda: client_error(lambda: c.create_bucket(Bucket="Bad_Name"), 400, "InvalidBucketName"))
    RES.run(f"{s}: head_bucket", lambda: c.head_bucket(Bucket=bucket))

    def list_buckets():
        r = c.list_buckets()
        check(bucket in [b["Name"] for b in r["Buckets"]], f"{bucket} not in {r['Buckets']}")
        check(r.get("Owner", {}).get("ID"), f"no Owner.ID in {r.get('Owner')}")
    RES.run(f"{s}: list_buckets with Owner", list_buckets)

    def location():
        r = c.get_bucket_location(Bucket=bucket)
        check(r.get("LocationConstraint") in (None, ""), f"LocationConstraint {r.get('LocationConstraint')!r}")
    RES.run(f"{s}: get_bucket_location", location)

    def put_small():
        r = c.put_object(Bucket=bucket, Key="dir/small.txt", Body=small, ContentType="text/plain",
                         Metadata={"color": "blue"}, CacheControl="max-age=60")
        check(r["ETag"] == f'"{md5hex(small)}"', f"ETag {r['ETag']}")
    RES.run(f"{s}: put_object small", put_small)

    def get_small():
        r = c.get_object(Bucket=bucket, Key="dir/small.txt")
        body = r["Body"].read()
        check(body == small, f"body {body!r}")
        check(r["ContentType"] == "text/plain", f"ContentType {r['ContentType']}")
        check(r.get("CacheControl") == "max-age=60", f"CacheControl {r.get('CacheControl')}")
    RES.run(f"{s}: get_object small", get_small)

    def user_metadata():
        r = c.head_object(Bucket=bucket, Key="dir/small.txt")
        check(r["Metadata"] == {"color": "blue"}, f"Metadata {r['Metadata']}, want {{'color': 'blue'}}")
    RES.run(f"{s}: user metadata round trip (lower-case names)", user_metadata)

    def head_small():
        r = c.head_object(Bucket=bucket, Key="dir/small.txt")
        check(r["ContentLength"] == len(small), f"ContentLength {r['ContentLength']}")
        check(r["ETag"] == f'"{md5hex(small)}"', f"ETag {r['ETag']}")
        check(r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id"), "no x-amz-request-id")
    RES.run(f"{s}: head_object", head_small)

    def put_get_big():
        c.put_object(Bucket=bucket, Key="big.bin", Body=big)
        got = c.get_object(Bucket=bucket, Key="big.bin")["Body"].read()
        check(got == big, f"3 MiB round trip: {len(got)} bytes, md5 {md5hex(got)} want {md5hex(big)}")
    RES.run(f"{s}: put_object/get_object 3 MiB byte-exact", put_get_big)

    def put_stream():
        # A non-seekable stream: boto3 sends it aws-chunked over HTTPS.
        class Stream(io.RawIOBase):
            def __init__(self, data):
                self.b = io.BytesIO(data)

            def readable(self):
                return True

            def readinto(self, buf):
                n = self.b.readinto(buf)
                return n
        c.upload_fileobj(Stream(big), bucket, "stream.bin")
        got = c.get_object(Bucket=bucket, Key="stream.bin")["Body"].read()
        check(got == big, "stream round trip differs")
    RES.run(f"{s}: upload_fileobj from a non-seekable stream", put_stream)

    def transfer_multipart():
        cfg = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
        c.upload_fileobj(io.BytesIO(huge), bucket, "huge.bin", Config=cfg)
        out = io.BytesIO()
        c.download_fileobj(bucket, "huge.bin", out, Config=cfg)
        check(out.getvalue() == huge, "12 MiB multipart round trip differs")
        etag = c.head_object(Bucket=bucket, Key="huge.bin")["ETag"]
        check(etag.endswith('-3"'), f"multipart ETag {etag}, want a -3 suffix")
    RES.run(f"{s}: transfer manager multipart upload/download 12 MiB", transfer_multipart)

    def put_empty():
        c.put_object(Bucket=bucket, Key="empty", Body=b"")
        r = c.get_object(Bucket=bucket, Key="empty")
        check(r["Body"].read() == b"" and r["ContentLength"] == 0, "empty object")
    RES.run(f"{s}: empty object", put_empty)

    def ranges():
        for rng, want in (("bytes=0-9", big[0:10]), ("bytes=100-", big[100:]), ("bytes=-7", big[-7:])):
            r = c.get_object(Bucket=bucket, Key="big.bin", Range=rng)
            got = r["Body"].read()
            check(got == want, f"{rng}: {len(got)} bytes, want {len(want)}")
            check(r["ResponseMetadata"]["HTTPStatusCode"] == 206, f"{rng}: status {r['ResponseMetadata']['HTTPStatusCode']}")
        client_error(lambda: c.get_object(Bucket=bucket, Key="big.bin", Range=f"bytes={len(big)}-"), 416, "InvalidRange")
    RES.run(f"{s}: get_object ranges", ranges)

    def conditional():
        etag = c.head_object(Bucket=bucket, Key="dir/small.txt")["ETag"]
        client_error(lambda: c.get_object(Bucket=bucket, Key="dir/small.txt", IfMatch='"nope"'), 412, "PreconditionFailed")
        client_error(lambda: c.get_object(Bucket=bucket, Key="dir/small.txt", IfNoneMatch=etag), 304)
        client_error(lambda: c.put_object(Bucket=bucket, Key="dir/small.txt", Body=b"x", IfNoneMatch="*"), 412, "PreconditionFailed")
    RES.run(f"{s}: conditional get/put", conditional)

    def content_md5():
        import base64
        good = base64.b64encode(hashlib.md5(small).digest()).decode()
        bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        c.put_object(Bucket=bucket, Key="md5-good", Body=small, ContentMD5=good)
        client_error(lambda: c.put_object(Bucket=bucket, Key="md5-bad", Body=small, ContentMD5=bad), 400, "BadDigest")
        client_error(lambda: c.head_object(Bucket=bucket, Key="md5-bad"), 404)
        c.delete_object(Bucket=bucket, Key="md5-good")
    RES.run(f"{s}: Content-MD5 good and bad", content_md5)

    keys = ["dir/small.txt", "big.bin", "stream.bin", "huge.bin", "empty"]
    odd = ["ünï cödé/ключ.txt", "a+b=c&d", "sp ace/x"]

    def odd_keys():
        for k in odd:
            c.put_object(Bucket=bucket, Key=k, Body=k.encode())
            check(c.get_object(Bucket=bucket, Key=k)["Body"].read() == k.encode(), f"{k!r} round trip")
        keys.extend(odd)
    RES.run(f"{s}: unicode/space/plus keys", odd_keys)

    def list_v2():
        r = c.list_objects_v2(Bucket=bucket)
        got = sorted(o["Key"] for o in r["Contents"])
        check(got == sorted(keys), f"keys {got}, want {sorted(keys)}")
        check(r["KeyCount"] == len(keys), f"KeyCount {r['KeyCount']}")
        r = c.list_objects_v2(Bucket=bucket, Delimiter="/")
        prefixes = sorted(p["Prefix"] for p in r.get("CommonPrefixes", []))
        check(prefixes == ["dir/", "sp ace/", "ünï cödé/"], f"CommonPrefixes {prefixes}")
    RES.run(f"{s}: list_objects_v2 (boto3 decodes encoding-type=url)", list_v2)

    def paginate(op):
        pages, got = 0, []
        for page in c.get_paginator(op).paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}):
            pages += 1
            got += [o["Key"] for o in page.get("Contents", [])]
        check(sorted(got) == sorted(keys) and len(got) == len(set(got)), f"{op}: {got}")
        check(pages == (len(keys) + 1) // 2, f"{op}: {pages} pages")
    RES.run(f"{s}: list_objects_v2 paginator (page size 2)", lambda: paginate("list_objects_v2"))
    RES.run(f"{s}: list_objects (v1) paginator (page size 2)", lambda: paginate("list_objects"))

    def copy():
        c.copy_object(Bucket=bucket, Key="copy/small.txt", CopySource={"Bucket": bucket, "Key": "ünï cödé/ключ.txt"})
        check(c.get_object(Bucket=bucket, Key="copy/small.txt")["Body"].read() == "ünï cödé/ключ.txt".encode(), "copy body")
        c.copy_object(Bucket=bucket, Key="copy/replaced", CopySource={"Bucket": bucket, "Key": "dir/small.txt"},
                      MetadataDirective="REPLACE", Metadata={"shape": "round"}, ContentType="text/x-new")
        h = c.head_object(Bucket=bucket, Key="copy/replaced")
        check(h["ContentType"] == "text/x-new", f"ContentType {h['ContentType']}")
        check({k.lower(): v for k, v in h["Metadata"].items()} == {"shape": "round"}, f"Metadata {h['Metadata']}")
        client_error(lambda: c.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "nope"}), 404, "NoSuchKey")
        c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "copy/small.txt"}, {"Key": "copy/replaced"}]})
    RES.run(f"{s}: copy_object", copy)

    def website_redirect():
        # Stored and returned as S3's REST endpoint does; CopyObject never
        # copies it from the source (AWS API reference; aws-sdk-go#1671).
        c.put_object(Bucket=bucket, Key="redir", Body=b"x", WebsiteRedirectLocation="https://example.com/to")
        h = c.head_object(Bucket=bucket, Key="redir")
        check(h.get("WebsiteRedirectLocation") == "https://example.com/to", f"WebsiteRedirectLocation {h.get('WebsiteRedirectLocation')}")
        c.copy_object(Bucket=bucket, Key="redir-copy", CopySource={"Bucket": bucket, "Key": "redir"})
        h = c.head_object(Bucket=bucket, Key="redir-copy")
        check("WebsiteRedirectLocation" not in h, f"copied WebsiteRedirectLocation {h.get('WebsiteRedirectLocation')}")
        e = client_error(lambda: c.put_object(Bucket=bucket, Key="redir-bad", Body=b"x", WebsiteRedirectLocation="nowhere"),
                         400, "InvalidRedirectLocation")
        msg = e.response["Error"]["Message"]
        check(msg == "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.", f"message {msg!r}")
        c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "redir"}, {"Key": "redir-copy"}]})
    RES.run(f"{s}: website redirect location", website_redirect)

    # Presigned URLs, fetched with urllib.
    def presigned_default():
        url = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "big.bin"}, ExpiresIn=300)
        form = "SigV2 (AWSAccessKeyId/Signature/Expires)" if "Signature=" in url and "AWSAccessKeyId=" in url else "SigV4"
        print(f"     boto3's default presigned form here: {form}")
        st, body, _ = srv.fetch(url)
        check(st == 200 and body == big, f"status {st}, {len(body)} bytes")
    RES.run(f"{s}: presigned GET, boto3 default form", presigned_default)

    def presigned_forms():
        for sv in ("s3", "s3v4"):
            pc = srv.client(signature_version=sv, **DEFAULTS)
            for k in ("dir/small.txt", "ünï cödé/ключ.txt"):
                url = pc.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": k}, ExpiresIn=300)
                if sv == "s3":
                    check("AWSAccessKeyId=" in url and "Signature=" in url, f"not a SigV2 URL: {url}")
                else:
                    check("X-Amz-Signature=" in url, f"not a SigV4 URL: {url}")
                st, body, _ = srv.fetch(url)
                want = small if k == "dir/small.txt" else k.encode()
                check(st == 200 and body == want, f"{sv} {k!r}: status {st} body {body[:200]!r}")
            # A response-* override in the signed query.
            url = pc.generate_presigned_url("get_object", ExpiresIn=300, Params={
                "Bucket": bucket, "Key": "dir/small.txt", "ResponseContentDisposition": 'attachment; filename="x.txt"'})
            st, body, hdrs = srv.fetch(url)
            check(st == 200 and hdrs.get("Content-Disposition") == 'attachment; filename="x.txt"',
                  f"{sv} override: status {st} Content-Disposition {hdrs.get('Content-Disposition')!r} {body[:200]!r}")
            # Presigned PUT. SigV2 signs Content-Type, and urllib would add
            # application/x-www-form-urlencoded: sign and send one explicitly.
            url = pc.generate_presigned_url("put_object", ExpiresIn=300, Params={
                "Bucket": bucket, "Key": f"presigned-put-{sv}", "ContentType": "application/octet-stream"})
            st, body, _ = srv.fetch(url, method="PUT", data=b"put via presigned " + sv.encode(),
                                    headers={"Content-Type": "application/octet-stream"})
            check(st == 200, f"{sv} presigned PUT: status {st} {body[:300]!r}")
            got = c.get_object(Bucket=bucket, Key=f"presigned-put-{sv}")["Body"].read()
            check(got == b"put via presigned " + sv.encode(), f"{sv} presigned PUT body {got!r}")
            c.delete_object(Bucket=bucket, Key=f"presigned-put-{sv}")
    RES.run(f"{s}: presigned GET/PUT, SigV2 and SigV4 forms", presigned_forms)

    def presigned_tampered():
        for sv in ("s3", "s3v4"):
            pc = srv.client(signature_version=sv, **DEFAULTS)
            url = pc.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/small.txt"}, ExpiresIn=300)
            bad = url.replace("dir/small.txt", "dir/small.txu")
            st, body, _ = srv.fetch(bad)
            check(st == 403 and b"SignatureDoesNotMatch" in body, f"{sv} tampered key: {st} {body[:200]!r}")
    RES.run(f"{s}: tampered presigned URLs → 403 SignatureDoesNotMatch", presigned_tampered)

    def presigned_expired():
        urls = [srv.client(signature_version=sv, **DEFAULTS).generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "dir/small.txt"}, ExpiresIn=1) for sv in ("s3", "s3v4")]
        time.sleep(2.5)
        for url in urls:
            st, body, _ = srv.fetch(url)
            check(st == 403 and b"AccessDenied" in body, f"expired: {st} {body[:200]!r}")
    RES.run(f"{s}: expired presigned URLs → 403 AccessDenied", presigned_expired)

    def wrong_secret():
        bad = srv.client(secret="not-the-secret", **DEFAULTS)
        client_error(lambda: bad.list_buckets(), 403, "SignatureDoesNotMatch")
        client_error(lambda: bad.put_object(Bucket=bucket, Key="bad", Body=b"x"), 403, "SignatureDoesNotMatch")
        client_error(lambda: c.head_object(Bucket=bucket, Key="bad"), 404)
    RES.run(f"{s}: wrong secret → SignatureDoesNotMatch", wrong_secret)

    def missing():
        client_error(lambda: c.get_object(Bucket=bucket, Key="nope"), 404, "NoSuchKey")
        client_error(lambda: c.head_object(Bucket=bucket, Key="nope"), 404)
        client_error(lambda: c.get_object(Bucket="no-such-bucket-x", Key="k"), 404, "NoSuchBucket")
    RES.run(f"{s}: missing key/bucket errors", missing)

    RES.run(f"{s}: delete_bucket non-empty → BucketNotEmpty",
            lambda: client_error(lambda: c.delete_bucket(Bucket=bucket), 409, "BucketNotEmpty"))

    def delete_objects():
        r = c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "big.bin"}, {"Key": "never-there"}], "Quiet": False})
        check(sorted(d["Key"] for d in r.get("Deleted", [])) == ["big.bin", "never-there"], f"Deleted {r.get('Deleted')}")
        r = c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys if k != "big.bin"], "Quiet": True})
        check(not r.get("Deleted") and not r.get("Errors"), f"quiet: {r.get('Deleted')} {r.get('Errors')}")
        check(c.list_objects_v2(Bucket=bucket)["KeyCount"] == 0, "bucket not empty")
    RES.run(f"{s}: delete_objects verbose and quiet", delete_objects)

    def delete_object():
        c.put_object(Bucket=bucket, Key="last", Body=b"x")
        r = c.delete_object(Bucket=bucket, Key="last")
        check(r["ResponseMetadata"]["HTTPStatusCode"] == 204, f"status {r['ResponseMetadata']['HTTPStatusCode']}")
        client_error(lambda: c.head_object(Bucket=bucket, Key="last"), 404)
        c.delete_object(Bucket=bucket, Key="last")  # missing key: still 204
    RES.run(f"{s}: delete_object", delete_object)

    def delete_bucket():
        c.delete_bucket(Bucket=bucket)
        client_error(lambda: c.head_bucket(Bucket=bucket), 404)
    RES.run(f"{s}: delete_bucket", delete_bucket)

    if not srv.running():
        RES.record(f"{s}: server exited during the run (status {srv.proc.returncode})", False)


def main():
    binary = setup(NAME)
    print(f"e2e-boto3: boto3 {boto3.__version__}, botocore {botocore.__version__}")
    for tls in (False, True):
        RES.phase(f"{'https' if tls else 'http'} setup", lambda: run(binary, tls))
    return RES.summary()


if __name__ == "__main__":
    sys.exit(main())
