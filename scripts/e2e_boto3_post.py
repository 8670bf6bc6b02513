#!/usr/bin/env python3
"""End-to-end: browser form uploads (POST Object) with forms made by stock
boto3's generate_presigned_post, against a real Tessera binary.

Usage:  TESSERA_BIN=/path/to/tessera python3 scripts/e2e_boto3_post.py

Starts the binary on a free 127.0.0.1 port with a temporary --data
directory and explicit --root-user/--root-password, and posts each form
exactly as a browser would (multipart/form-data, the fields in the order
boto3 returns them, the file last), checking:

  * SigV4 (boto3's default): a key ending in ${filename} with
    success_action_status 201, a Content-Type starts-with condition and a
    content-length-range: 201 with S3's PostResponse XML (Location, Bucket,
    Key, ETag), the object readable with get_object under the expanded key;
  * success_action_status absent: 204 with ETag and Location headers;
  * success_action_redirect: 303 to the page with bucket, key and etag;
  * SigV2 (signature_version='s3'): AWSAccessKeyId/policy/signature → 204;
  * the policy's content-length-range: 400 EntityTooLarge with
    ProposedSize and MaxSizeAllowed, nothing stored;
  * ExpiresIn=1 and a wait: 403 "Invalid according to Policy: Policy
    expired.";
  * a field the policy does not cover: 403 "Extra input fields".

The harness (scripts/e2e_harness.py) removes every AWS_* variable and
points the shared config/credentials files at /dev/null. The last line
printed is `e2e-boto3-post: N passed, M failed`; the exit status is
non-zero when anything failed. The server is killed at exit.
"""

import hashlib
import secrets
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

from e2e_harness import Results, Server, check, setup

NAME = "e2e-boto3-post"
RES = Results(NAME, trace=True)


def multipart(fields, filename, data, extra=()):
    """A browser's multipart/form-data body: fields in order, then the file."""
    boundary = "----e2e" + secrets.token_hex(8)
    out = []
    for k, v in list(fields.items()) + list(extra):
        out.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, k, v)).encode())
    out.append(('--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
                'Content-Type: text/plain\r\n\r\n' % (boundary, filename)).encode())
    out.append(data)
    out.append(("\r\n--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def post(srv, presigned, filename, data, extra=()):
    """POSTs the form without following a redirect; returns status, body, headers."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    body, ctype = multipart(presigned["fields"], filename, data, extra)
    req = urllib.request.Request(presigned["url"], data=body, method="POST", headers={"Content-Type": ctype})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def error_of(body):
    root = ET.fromstring(body)
    return {child.tag: child.text or "" for child in root}


def scenario(srv):
    s3 = srv.client()
    b = "e2e-post"
    s3.create_bucket(Bucket=b)
    data = b"hello from a browser form\n"
    etag = '"%s"' % hashlib.md5(data).hexdigest()

    def created():
        p = s3.generate_presigned_post(
            b, "uploads/${filename}",
            Fields={"success_action_status": "201", "Content-Type": "text/plain"},
            Conditions=[{"success_action_status": "201"}, ["starts-with", "$Content-Type", "text/"],
                        ["content-length-range", 1, 1024]])
        status, body, headers = post(srv, p, "hello.txt", data)
        check(status == 201, "status %s: %s" % (status, body))
        root = ET.fromstring(body)
        check(root.tag == "PostResponse", "root %r" % root.tag)
        got = {child.tag: child.text for child in root}
        check(got["Bucket"] == b and got["Key"] == "uploads/hello.txt" and got["ETag"] == etag, "PostResponse %r" % got)
        check(got["Location"].endswith("/%s/uploads%%2Fhello.txt" % b), "Location %r" % got["Location"])
        check(headers["ETag"] == etag, "ETag header %r" % headers["ETag"])
        obj = s3.get_object(Bucket=b, Key="uploads/hello.txt")
        check(obj["Body"].read() == data and obj["ContentType"] == "text/plain", "object %r" % obj)
    RES.run("SigV4 presigned POST: ${filename}, 201 PostResponse, stored under the expanded key", created)

    def no_content():
        p = s3.generate_presigned_post(b, "plain")
        status, body, headers = post(srv, p, "x", data)
        check(status == 204 and body == b"", "status %s: %s" % (status, body))
        check(headers["ETag"] == etag and headers["Location"].endswith("/%s/plain" % b), "headers %r" % dict(headers))
        check(s3.get_object(Bucket=b, Key="plain")["Body"].read() == data, "body differs")
    RES.run("SigV4 presigned POST without success_action_status: 204 with ETag and Location", no_content)

    def redirect():
        page = "http://app.example/done"
        p = s3.generate_presigned_post(b, "redir", Fields={"success_action_redirect": page},
                                       Conditions=[{"success_action_redirect": page}])
        status, body, headers = post(srv, p, "x", data)
        want = page + "?" + urllib.parse.urlencode({"bucket": b, "key": "redir", "etag": etag})
        check(status == 303 and headers["Location"] == want, "status %s Location %r, want %r" % (status, headers["Location"], want))
    RES.run("success_action_redirect: 303 to the page with bucket, key and etag", redirect)

    def sigv2():
        v2 = srv.client(signature_version="s3")
        p = v2.generate_presigned_post(b, "v2-key")
        check("AWSAccessKeyId" in p["fields"] and "signature" in p["fields"], "fields %r" % p["fields"])
        status, body, _ = post(srv, p, "x", data)
        check(status == 204, "status %s: %s" % (status, body))
        check(s3.get_object(Bucket=b, Key="v2-key")["Body"].read() == data, "body differs")
    RES.run("SigV2 presigned POST (signature_version='s3'): 204", sigv2)

    def too_large():
        p = s3.generate_presigned_post(b, "big", Conditions=[["content-length-range", 1, 10]])
        status, body, _ = post(srv, p, "x", data)
        e = error_of(body)
        check(status == 400 and e["Code"] == "EntityTooLarge", "status %s: %s" % (status, body))
        check(e["ProposedSize"] == str(len(data)) and e["MaxSizeAllowed"] == "10", "error %r" % e)
        check("big" not in [o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", [])], "stored anyway")
    RES.run("content-length-range exceeded: 400 EntityTooLarge with the sizes, nothing stored", too_large)

    def expired():
        p = s3.generate_presigned_post(b, "late", ExpiresIn=1)
        time.sleep(2.1)
        status, body, _ = post(srv, p, "x", data)
        e = error_of(body)
        check(status == 403 and e["Code"] == "AccessDenied" and e["Message"] == "Invalid according to Policy: Policy expired.",
              "status %s: %s" % (status, body))
    RES.run("expired policy: 403 Invalid according to Policy: Policy expired.", expired)

    def extra_field():
        p = s3.generate_presigned_post(b, "extra")
        status, body, _ = post(srv, p, "x", data, extra=[("dzuuid", "1")])
        e = error_of(body)
        check(status == 403 and e["Message"] == "Invalid according to Policy: Extra input fields: dzuuid", "status %s: %s" % (status, body))
    RES.run("a field the policy does not cover: 403 Extra input fields", extra_field)


def main():
    binary = setup(NAME)
    srv = Server(binary, NAME)

    def run():
        srv.start()
        scenario(srv)
    RES.phase("server", run)
    return RES.summary()


if __name__ == "__main__":
    sys.exit(main())
