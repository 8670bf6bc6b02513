#!/usr/bin/env python3
"""End-to-end: stock boto3 against a real Tessera binary.

Usage:  TESSERA_BIN=/path/to/tessera python3 scripts/e2e_boto3.py

Builds nothing. For plain HTTP and for HTTPS (a self-signed certificate made
with openssl; over HTTPS boto3 sends aws-chunked bodies with a trailing
checksum), the script starts "$TESSERA_BIN server" on a free 127.0.0.1 port
with a temporary --data directory and explicit --root-user/--root-password,
waits for /_tessera/health/ready, and drives it with boto3's default
settings: buckets, put/get/head (metadata, ranges, Content-MD5), the
transfer manager (multipart), list v2/v1 with paginators and URL-encoded
keys, copy, delete, delete_objects, and presigned URLs from
generate_presigned_url — boto3's default form for a custom endpoint and
SigV4 — fetched with urllib, including tampered and expired ones.

Every AWS_* variable is removed and the shared config/credentials files point
at /dev/null, so nothing in the environment changes boto3's behaviour.

The last line printed is `e2e-boto3: N passed, M failed`; the exit status is
non-zero when anything failed. Servers are killed at exit.
"""

import atexit
import hashlib
import io
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

for _k in [k for k in os.environ if k.startswith("AWS_")]:
    del os.environ[_k]
for _k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(_k, None)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

import boto3  # noqa: E402
import botocore  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

MIB = 1024 * 1024
ACCESS_KEY = "E2EBOTO3ROOT" + secrets.token_hex(4).upper()
SECRET_KEY = "e2e/boto3/" + secrets.token_hex(16)
REGION = "us-east-1"

PASSED = 0
FAILED = 0
WORK = tempfile.mkdtemp(prefix="tessera-e2e-boto3.")
PROCS = []


def cleanup():
    for p in PROCS:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    shutil.rmtree(WORK, ignore_errors=True)


atexit.register(cleanup)


def check(name, fn):
    global PASSED, FAILED
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - every failure is reported and counted
        FAILED += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}")
        for line in traceback.format_exc().splitlines()[-6:]:
            print("     | " + line)
    else:
        PASSED += 1
        print(f"ok   {name}")


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def expect_client_error(fn, code=None, status=None):
    try:
        fn()
    except ClientError as e:
        got_code = e.response.get("Error", {}).get("Code")
        got_status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        expect(code is None or got_code == code, f"error code {got_code!r}, want {code!r} ({e})")
        expect(status is None or got_status == status, f"HTTP status {got_status}, want {status} ({e})")
        return e
    raise AssertionError(f"succeeded, want error {code} ({status})")


def md5hex(b):
    return hashlib.md5(b).hexdigest()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True)
    return cert, key


class Server:
    def __init__(self, binary, tls):
        self.dir = tempfile.mkdtemp(prefix="srv.", dir=WORK)
        self.port = free_port()
        self.scheme = "https" if tls else "http"
        self.endpoint = f"{self.scheme}://127.0.0.1:{self.port}"
        args = [binary, "server", "--address", f"127.0.0.1:{self.port}", "--data", os.path.join(self.dir, "data"),
                "--root-user", ACCESS_KEY, "--root-password", SECRET_KEY]
        self.ca = None
        self.ssl = None
        if tls:
            cert, key = make_cert(self.dir)
            args += ["--tls-cert", cert, "--tls-key", key]
            self.ca = cert
            self.ssl = ssl.create_default_context(cafile=cert)
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        PROCS.append(self.proc)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with self.urlopen(urllib.request.Request(self.endpoint + "/_tessera/health/ready"), timeout=1) as r:
                    if r.status == 200:
                        return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.1)
        self.log.flush()
        with open(os.path.join(self.dir, "server.log"), "rb") as f:
            sys.stdout.write(f.read().decode(errors="replace"))
        raise RuntimeError(f"server at {self.endpoint} did not become ready")

    def urlopen(self, req, timeout=30):
        return urllib.request.urlopen(req, timeout=timeout, context=self.ssl)

    def client(self, secret=SECRET_KEY, **cfg):
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=secret,
            verify=self.ca if self.ca else True,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, **cfg))

    def fetch(self, url, method="GET", data=None, headers=None):
        """Returns (status, body, headers) without raising on HTTP errors."""
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.urlopen(req) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers


def run(binary, tls):
    srv = Server(binary, tls)
    s = srv.scheme
    print(f"--- {s}: {binary} at {srv.endpoint}")
    c = srv.client()
    bucket = f"e2e-boto3-{s}-{secrets.token_hex(3)}"
    small = b"hello from boto3\n"
    big = os.urandom(3 * MIB + 11)
    huge = os.urandom(12 * MIB + 5)

    check(f"{s}: create_bucket", lambda: c.create_bucket(Bucket=bucket))
    check(f"{s}: create_bucket again → BucketAlreadyOwnedByYou",
          lambda: expect_client_error(lambda: c.create_bucket(Bucket=bucket), "BucketAlreadyOwnedByYou", 409))
    check(f"{s}: create_bucket invalid name → InvalidBucketName",
          lambda: expect_client_error(lambda: c.create_bucket(Bucket="Bad_Name"), "InvalidBucketName", 400))
    check(f"{s}: head_bucket", lambda: c.head_bucket(Bucket=bucket))

    def list_buckets():
        r = c.list_buckets()
        expect(bucket in [b["Name"] for b in r["Buckets"]], f"{bucket} not in {r['Buckets']}")
        expect(r.get("Owner", {}).get("ID"), f"no Owner.ID in {r.get('Owner')}")
    check(f"{s}: list_buckets with Owner", list_buckets)

    def location():
        r = c.get_bucket_location(Bucket=bucket)
        expect(r.get("LocationConstraint") in (None, ""), f"LocationConstraint {r.get('LocationConstraint')!r}")
    check(f"{s}: get_bucket_location", location)

    def put_small():
        r = c.put_object(Bucket=bucket, Key="dir/small.txt", Body=small, ContentType="text/plain",
                         Metadata={"color": "blue"}, CacheControl="max-age=60")
        expect(r["ETag"] == f'"{md5hex(small)}"', f"ETag {r['ETag']}")
    check(f"{s}: put_object small", put_small)

    def get_small():
        r = c.get_object(Bucket=bucket, Key="dir/small.txt")
        body = r["Body"].read()
        expect(body == small, f"body {body!r}")
        expect(r["ContentType"] == "text/plain", f"ContentType {r['ContentType']}")
        expect(r.get("CacheControl") == "max-age=60", f"CacheControl {r.get('CacheControl')}")
    check(f"{s}: get_object small", get_small)

    def user_metadata():
        r = c.head_object(Bucket=bucket, Key="dir/small.txt")
        expect(r["Metadata"] == {"color": "blue"}, f"Metadata {r['Metadata']}, want {{'color': 'blue'}}")
    check(f"{s}: user metadata round trip (lower-case names)", user_metadata)

    def head_small():
        r = c.head_object(Bucket=bucket, Key="dir/small.txt")
        expect(r["ContentLength"] == len(small), f"ContentLength {r['ContentLength']}")
        expect(r["ETag"] == f'"{md5hex(small)}"', f"ETag {r['ETag']}")
        expect(r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id"), "no x-amz-request-id")
    check(f"{s}: head_object", head_small)

    def put_get_big():
        c.put_object(Bucket=bucket, Key="big.bin", Body=big)
        got = c.get_object(Bucket=bucket, Key="big.bin")["Body"].read()
        expect(got == big, f"3 MiB round trip: {len(got)} bytes, md5 {md5hex(got)} want {md5hex(big)}")
    check(f"{s}: put_object/get_object 3 MiB byte-exact", put_get_big)

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
        expect(got == big, "stream round trip differs")
    check(f"{s}: upload_fileobj from a non-seekable stream", put_stream)

    def transfer_multipart():
        cfg = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
        c.upload_fileobj(io.BytesIO(huge), bucket, "huge.bin", Config=cfg)
        out = io.BytesIO()
        c.download_fileobj(bucket, "huge.bin", out, Config=cfg)
        expect(out.getvalue() == huge, "12 MiB multipart round trip differs")
        etag = c.head_object(Bucket=bucket, Key="huge.bin")["ETag"]
        expect(etag.endswith('-3"'), f"multipart ETag {etag}, want a -3 suffix")
    check(f"{s}: transfer manager multipart upload/download 12 MiB", transfer_multipart)

    def put_empty():
        c.put_object(Bucket=bucket, Key="empty", Body=b"")
        r = c.get_object(Bucket=bucket, Key="empty")
        expect(r["Body"].read() == b"" and r["ContentLength"] == 0, "empty object")
    check(f"{s}: empty object", put_empty)

    def ranges():
        for rng, want in (("bytes=0-9", big[0:10]), ("bytes=100-", big[100:]), ("bytes=-7", big[-7:])):
            r = c.get_object(Bucket=bucket, Key="big.bin", Range=rng)
            got = r["Body"].read()
            expect(got == want, f"{rng}: {len(got)} bytes, want {len(want)}")
            expect(r["ResponseMetadata"]["HTTPStatusCode"] == 206, f"{rng}: status {r['ResponseMetadata']['HTTPStatusCode']}")
        expect_client_error(lambda: c.get_object(Bucket=bucket, Key="big.bin", Range=f"bytes={len(big)}-"), "InvalidRange", 416)
    check(f"{s}: get_object ranges", ranges)

    def conditional():
        etag = c.head_object(Bucket=bucket, Key="dir/small.txt")["ETag"]
        expect_client_error(lambda: c.get_object(Bucket=bucket, Key="dir/small.txt", IfMatch='"nope"'), "PreconditionFailed", 412)
        expect_client_error(lambda: c.get_object(Bucket=bucket, Key="dir/small.txt", IfNoneMatch=etag), None, 304)
        expect_client_error(lambda: c.put_object(Bucket=bucket, Key="dir/small.txt", Body=b"x", IfNoneMatch="*"), "PreconditionFailed", 412)
    check(f"{s}: conditional get/put", conditional)

    def content_md5():
        import base64
        good = base64.b64encode(hashlib.md5(small).digest()).decode()
        bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        c.put_object(Bucket=bucket, Key="md5-good", Body=small, ContentMD5=good)
        expect_client_error(lambda: c.put_object(Bucket=bucket, Key="md5-bad", Body=small, ContentMD5=bad), "BadDigest", 400)
        expect_client_error(lambda: c.head_object(Bucket=bucket, Key="md5-bad"), None, 404)
        c.delete_object(Bucket=bucket, Key="md5-good")
    check(f"{s}: Content-MD5 good and bad", content_md5)

    keys = ["dir/small.txt", "big.bin", "stream.bin", "huge.bin", "empty"]
    odd = ["ünï cödé/ключ.txt", "a+b=c&d", "sp ace/x"]

    def odd_keys():
        for k in odd:
            c.put_object(Bucket=bucket, Key=k, Body=k.encode())
            expect(c.get_object(Bucket=bucket, Key=k)["Body"].read() == k.encode(), f"{k!r} round trip")
        keys.extend(odd)
    check(f"{s}: unicode/space/plus keys", odd_keys)

    def list_v2():
        r = c.list_objects_v2(Bucket=bucket)
        got = sorted(o["Key"] for o in r["Contents"])
        expect(got == sorted(keys), f"keys {got}, want {sorted(keys)}")
        expect(r["KeyCount"] == len(keys), f"KeyCount {r['KeyCount']}")
        r = c.list_objects_v2(Bucket=bucket, Delimiter="/")
        prefixes = sorted(p["Prefix"] for p in r.get("CommonPrefixes", []))
        expect(prefixes == ["dir/", "sp ace/", "ünï cödé/"], f"CommonPrefixes {prefixes}")
    check(f"{s}: list_objects_v2 (boto3 decodes encoding-type=url)", list_v2)

    def paginate(op):
        pages, got = 0, []
        for page in c.get_paginator(op).paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}):
            pages += 1
            got += [o["Key"] for o in page.get("Contents", [])]
        expect(sorted(got) == sorted(keys) and len(got) == len(set(got)), f"{op}: {got}")
        expect(pages == (len(keys) + 1) // 2, f"{op}: {pages} pages")
    check(f"{s}: list_objects_v2 paginator (page size 2)", lambda: paginate("list_objects_v2"))
    check(f"{s}: list_objects (v1) paginator (page size 2)", lambda: paginate("list_objects"))

    def copy():
        c.copy_object(Bucket=bucket, Key="copy/small.txt", CopySource={"Bucket": bucket, "Key": "ünï cödé/ключ.txt"})
        expect(c.get_object(Bucket=bucket, Key="copy/small.txt")["Body"].read() == "ünï cödé/ключ.txt".encode(), "copy body")
        c.copy_object(Bucket=bucket, Key="copy/replaced", CopySource={"Bucket": bucket, "Key": "dir/small.txt"},
                      MetadataDirective="REPLACE", Metadata={"shape": "round"}, ContentType="text/x-new")
        h = c.head_object(Bucket=bucket, Key="copy/replaced")
        expect(h["ContentType"] == "text/x-new", f"ContentType {h['ContentType']}")
        expect({k.lower(): v for k, v in h["Metadata"].items()} == {"shape": "round"}, f"Metadata {h['Metadata']}")
        expect_client_error(lambda: c.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "nope"}), "NoSuchKey", 404)
        c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "copy/small.txt"}, {"Key": "copy/replaced"}]})
    check(f"{s}: copy_object", copy)

    def website_redirect():
        # Stored and returned as S3's REST endpoint does; CopyObject never
        # copies it from the source (AWS API reference; aws-sdk-go#1671).
        c.put_object(Bucket=bucket, Key="redir", Body=b"x", WebsiteRedirectLocation="https://example.com/to")
        h = c.head_object(Bucket=bucket, Key="redir")
        expect(h.get("WebsiteRedirectLocation") == "https://example.com/to", f"WebsiteRedirectLocation {h.get('WebsiteRedirectLocation')}")
        c.copy_object(Bucket=bucket, Key="redir-copy", CopySource={"Bucket": bucket, "Key": "redir"})
        h = c.head_object(Bucket=bucket, Key="redir-copy")
        expect("WebsiteRedirectLocation" not in h, f"copied WebsiteRedirectLocation {h.get('WebsiteRedirectLocation')}")
        e = expect_client_error(lambda: c.put_object(Bucket=bucket, Key="redir-bad", Body=b"x", WebsiteRedirectLocation="nowhere"),
                                "InvalidRedirectLocation", 400)
        msg = e.response["Error"]["Message"]
        expect(msg == "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.", f"message {msg!r}")
        c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "redir"}, {"Key": "redir-copy"}]})
    check(f"{s}: website redirect location", website_redirect)

    # Presigned URLs, fetched with urllib.
    def presigned_default():
        url = c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "big.bin"}, ExpiresIn=300)
        form = "SigV2 (AWSAccessKeyId/Signature/Expires)" if "Signature=" in url and "AWSAccessKeyId=" in url else "SigV4"
        print(f"     boto3's default presigned form here: {form}")
        st, body, _ = srv.fetch(url)
        expect(st == 200 and body == big, f"status {st}, {len(body)} bytes")
    check(f"{s}: presigned GET, boto3 default form", presigned_default)

    def presigned_forms():
        for sv in ("s3", "s3v4"):
            pc = srv.client(signature_version=sv)
            for k in ("dir/small.txt", "ünï cödé/ключ.txt"):
                url = pc.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": k}, ExpiresIn=300)
                if sv == "s3":
                    expect("AWSAccessKeyId=" in url and "Signature=" in url, f"not a SigV2 URL: {url}")
                else:
                    expect("X-Amz-Signature=" in url, f"not a SigV4 URL: {url}")
                st, body, _ = srv.fetch(url)
                want = small if k == "dir/small.txt" else k.encode()
                expect(st == 200 and body == want, f"{sv} {k!r}: status {st} body {body[:200]!r}")
            # A response-* override in the signed query.
            url = pc.generate_presigned_url("get_object", ExpiresIn=300, Params={
                "Bucket": bucket, "Key": "dir/small.txt", "ResponseContentDisposition": 'attachment; filename="x.txt"'})
            st, body, hdrs = srv.fetch(url)
            expect(st == 200 and hdrs.get("Content-Disposition") == 'attachment; filename="x.txt"',
                   f"{sv} override: status {st} Content-Disposition {hdrs.get('Content-Disposition')!r} {body[:200]!r}")
            # Presigned PUT. SigV2 signs Content-Type, and urllib would add
            # application/x-www-form-urlencoded: sign and send one explicitly.
            url = pc.generate_presigned_url("put_object", ExpiresIn=300, Params={
                "Bucket": bucket, "Key": f"presigned-put-{sv}", "ContentType": "application/octet-stream"})
            st, body, _ = srv.fetch(url, method="PUT", data=b"put via presigned " + sv.encode(),
                                    headers={"Content-Type": "application/octet-stream"})
            expect(st == 200, f"{sv} presigned PUT: status {st} {body[:300]!r}")
            got = c.get_object(Bucket=bucket, Key=f"presigned-put-{sv}")["Body"].read()
            expect(got == b"put via presigned " + sv.encode(), f"{sv} presigned PUT body {got!r}")
            c.delete_object(Bucket=bucket, Key=f"presigned-put-{sv}")
    check(f"{s}: presigned GET/PUT, SigV2 and SigV4 forms", presigned_forms)

    def presigned_tampered():
        for sv in ("s3", "s3v4"):
            pc = srv.client(signature_version=sv)
            url = pc.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/small.txt"}, ExpiresIn=300)
            bad = url.replace("dir/small.txt", "dir/small.txu")
            st, body, _ = srv.fetch(bad)
            expect(st == 403 and b"SignatureDoesNotMatch" in body, f"{sv} tampered key: {st} {body[:200]!r}")
    check(f"{s}: tampered presigned URLs → 403 SignatureDoesNotMatch", presigned_tampered)

    def presigned_expired():
        urls = [srv.client(signature_version=sv).generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "dir/small.txt"}, ExpiresIn=1) for sv in ("s3", "s3v4")]
        time.sleep(2.5)
        for url in urls:
            st, body, _ = srv.fetch(url)
            expect(st == 403 and b"AccessDenied" in body, f"expired: {st} {body[:200]!r}")
    check(f"{s}: expired presigned URLs → 403 AccessDenied", presigned_expired)

    def wrong_secret():
        bad = srv.client(secret="not-the-secret")
        expect_client_error(lambda: bad.list_buckets(), "SignatureDoesNotMatch", 403)
        expect_client_error(lambda: bad.put_object(Bucket=bucket, Key="bad", Body=b"x"), "SignatureDoesNotMatch", 403)
        expect_client_error(lambda: c.head_object(Bucket=bucket, Key="bad"), None, 404)
    check(f"{s}: wrong secret → SignatureDoesNotMatch", wrong_secret)

    def missing():
        expect_client_error(lambda: c.get_object(Bucket=bucket, Key="nope"), "NoSuchKey", 404)
        expect_client_error(lambda: c.head_object(Bucket=bucket, Key="nope"), None, 404)
        expect_client_error(lambda: c.get_object(Bucket="no-such-bucket-x", Key="k"), "NoSuchBucket", 404)
    check(f"{s}: missing key/bucket errors", missing)

    check(f"{s}: delete_bucket non-empty → BucketNotEmpty",
          lambda: expect_client_error(lambda: c.delete_bucket(Bucket=bucket), "BucketNotEmpty", 409))

    def delete_objects():
        r = c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "big.bin"}, {"Key": "never-there"}], "Quiet": False})
        expect(sorted(d["Key"] for d in r.get("Deleted", [])) == ["big.bin", "never-there"], f"Deleted {r.get('Deleted')}")
        r = c.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys if k != "big.bin"], "Quiet": True})
        expect(not r.get("Deleted") and not r.get("Errors"), f"quiet: {r.get('Deleted')} {r.get('Errors')}")
        expect(c.list_objects_v2(Bucket=bucket)["KeyCount"] == 0, "bucket not empty")
    check(f"{s}: delete_objects verbose and quiet", delete_objects)

    def delete_object():
        c.put_object(Bucket=bucket, Key="last", Body=b"x")
        r = c.delete_object(Bucket=bucket, Key="last")
        expect(r["ResponseMetadata"]["HTTPStatusCode"] == 204, f"status {r['ResponseMetadata']['HTTPStatusCode']}")
        expect_client_error(lambda: c.head_object(Bucket=bucket, Key="last"), None, 404)
        c.delete_object(Bucket=bucket, Key="last")  # missing key: still 204
    check(f"{s}: delete_object", delete_object)

    def delete_bucket():
        c.delete_bucket(Bucket=bucket)
        expect_client_error(lambda: c.head_bucket(Bucket=bucket), None, 404)
    check(f"{s}: delete_bucket", delete_bucket)

    if srv.proc.poll() is not None:
        global FAILED
        FAILED += 1
        print(f"FAIL {s}: server exited during the run (status {srv.proc.returncode})")


def main():
    binary = os.environ.get("TESSERA_BIN")
    if not binary or not os.access(binary, os.X_OK):
        print("e2e-boto3: set TESSERA_BIN to the path of a built tessera binary", file=sys.stderr)
        print("e2e-boto3: 0 passed, 1 failed")
        return 1
    print(f"e2e-boto3: boto3 {boto3.__version__}, botocore {botocore.__version__}")
    for tls in (False, True):
        try:
            run(binary, tls)
        except Exception as e:  # noqa: BLE001 - a setup failure counts as one failure
            global FAILED
            FAILED += 1
            print(f"FAIL {'https' if tls else 'http'} setup: {e}")
            traceback.print_exc(file=sys.stdout)
    print(f"e2e-boto3: {PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
