#!/usr/bin/env python3
"""End-to-end check of the ListParts seed example with stock boto3.

Starts the Tessera binary named by $TESSERA_BIN on a free 127.0.0.1 port
with a temporary data directory and explicit root credentials, reproduces
the example of the boto3 list_parts documentation (a 2-part upload whose
ListParts response has Initiator, Owner, Parts with ETag, LastModified,
PartNumber and Size, and StorageClass), pages it with MaxParts=1 and with
boto3's list_parts paginator, completes the upload and reads it back.

The harness (scripts/e2e_harness.py) isolates boto3 from the environment's
AWS settings. With TESSERA_ENDPOINT set (endpoint mode: TESSERA_ACCESS_KEY
and TESSERA_SECRET_KEY are its root keys) the journey runs against that
running Tessera instead — gateways behind a load balancer, say — and starts
no server; it then skips only the check that TESSERA_POSTGRES moved the
metadata, which reads the server's log and data directory. The last line printed is "e2e-seed-listparts: N passed, M
failed"; the exit status is non-zero if anything failed.
"""

import datetime
import hashlib
import os
import sys

from e2e_harness import MIB, REGION, Results, endpoint_mode, server_or_endpoint, setup

NAME = "e2e-seed-listparts"
BUCKET = "examplebucket"
KEY = "bigobject"
RES = Results(NAME, quiet=True, trace=True)


def check(cond, what):
    """Records one check; only failures print."""
    return RES.record(what, cond)


def as_int(v):
    """Part-number markers are integers in the seed and strings in newer
    SDK models; both must carry the plain integer."""
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def check_seed_structure(resp, upload_id, parts):
    """The response structure of the seed's example."""
    for field in ("Bucket", "Key", "UploadId", "PartNumberMarker", "NextPartNumberMarker",
                  "MaxParts", "IsTruncated", "Parts", "Initiator", "Owner", "StorageClass"):
        check(field in resp, f"list_parts response has {field} (keys: {sorted(resp)})")
    check(resp.get("Bucket") == BUCKET, f"Bucket {resp.get('Bucket')!r}")
    check(resp.get("Key") == KEY, f"Key {resp.get('Key')!r}")
    check(resp.get("UploadId") == upload_id, f"UploadId {resp.get('UploadId')!r}")
    check(as_int(resp.get("PartNumberMarker")) == 0, f"PartNumberMarker {resp.get('PartNumberMarker')!r}, want 0")
    check(as_int(resp.get("NextPartNumberMarker")) == 2, f"NextPartNumberMarker {resp.get('NextPartNumberMarker')!r}, want 2")
    check(resp.get("MaxParts") == 1000, f"MaxParts {resp.get('MaxParts')!r}, want 1000")
    check(resp.get("IsTruncated") is False, f"IsTruncated {resp.get('IsTruncated')!r}, want False")
    check(resp.get("StorageClass") == "STANDARD", f"StorageClass {resp.get('StorageClass')!r}")
    for who in ("Initiator", "Owner"):
        d = resp.get(who) or {}
        check(isinstance(d.get("ID"), str) and d["ID"] != "", f"{who}.ID {d.get('ID')!r}")
        check(isinstance(d.get("DisplayName"), str) and d["DisplayName"] != "", f"{who}.DisplayName {d.get('DisplayName')!r}")
    check(resp.get("Initiator", {}).get("ID") == resp.get("Owner", {}).get("ID"),
          "Initiator.ID equals Owner.ID for the root account")
    got = resp.get("Parts", [])
    check(len(got) == len(parts), f"{len(got)} Parts, want {len(parts)}")
    now = datetime.datetime.now(datetime.timezone.utc)
    for i, (p, body) in enumerate(zip(got, parts), start=1):
        check(set(("PartNumber", "LastModified", "ETag", "Size")) <= set(p), f"part {i} fields {sorted(p)}")
        check(as_int(p.get("PartNumber")) == i, f"part {i} PartNumber {p.get('PartNumber')!r}")
        check(p.get("ETag") == '"' + hashlib.md5(body).hexdigest() + '"', f"part {i} ETag {p.get('ETag')!r}")
        check(p.get("Size") == len(body), f"part {i} Size {p.get('Size')!r}, want {len(body)}")
        lm = p.get("LastModified")
        check(isinstance(lm, datetime.datetime) and lm.tzinfo is not None
              and abs((now - lm).total_seconds()) < 300, f"part {i} LastModified {lm!r}")


def run(srv):
    from botocore.exceptions import ClientError

    s3 = srv.client()

    s3.create_bucket(Bucket=BUCKET)
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=KEY)["UploadId"]
    check(isinstance(upload_id, str) and upload_id != "", "create_multipart_upload returns an UploadId")

    parts = [os.urandom(5 * MIB), b"the second and last part of the seed example\n" * 100]
    etags = []
    for n, body in enumerate(parts, start=1):
        r = s3.upload_part(Bucket=BUCKET, Key=KEY, UploadId=upload_id, PartNumber=n, Body=body)
        check(r["ETag"] == '"' + hashlib.md5(body).hexdigest() + '"', f"upload_part {n} ETag {r['ETag']!r}")
        etags.append(r["ETag"])

    # The seed's example call.
    resp = s3.list_parts(Bucket=BUCKET, Key=KEY, UploadId=upload_id)
    check_seed_structure(resp, upload_id, parts)

    # One part per page.
    p1 = s3.list_parts(Bucket=BUCKET, Key=KEY, UploadId=upload_id, MaxParts=1)
    check([as_int(p["PartNumber"]) for p in p1.get("Parts", [])] == [1], f"MaxParts=1 page 1 parts {p1.get('Parts')}")
    check(p1.get("IsTruncated") is True, "MaxParts=1 page 1 is truncated")
    check(p1.get("MaxParts") == 1, f"MaxParts=1 page 1 MaxParts {p1.get('MaxParts')!r}")
    check(as_int(p1.get("NextPartNumberMarker")) == 1, f"MaxParts=1 page 1 Next {p1.get('NextPartNumberMarker')!r}")
    p2 = s3.list_parts(Bucket=BUCKET, Key=KEY, UploadId=upload_id, MaxParts=1,
                       PartNumberMarker=p1.get("NextPartNumberMarker"))
    check([as_int(p["PartNumber"]) for p in p2.get("Parts", [])] == [2], f"MaxParts=1 page 2 parts {p2.get('Parts')}")
    check(p2.get("IsTruncated") is False, "MaxParts=1 page 2 is the last")
    check(as_int(p2.get("PartNumberMarker")) == 1, f"page 2 PartNumberMarker {p2.get('PartNumberMarker')!r}")
    check(as_int(p2.get("NextPartNumberMarker")) == 2, f"page 2 Next {p2.get('NextPartNumberMarker')!r}")

    # boto3's paginator, default and one part per page.
    paginator = s3.get_paginator("list_parts")
    for cfg in ({}, {"PageSize": 1}):
        seen, pages = [], 0
        for page in paginator.paginate(Bucket=BUCKET, Key=KEY, UploadId=upload_id, PaginationConfig=cfg):
            pages += 1
            seen += [as_int(p["PartNumber"]) for p in page.get("Parts", [])]
            if pages > 10:
                break
        check(seen == [1, 2], f"paginator {cfg}: parts {seen}, want [1, 2]")
        want_pages = 2 if cfg else 1
        check(pages == want_pages, f"paginator {cfg}: {pages} pages, want {want_pages}")

    # ListMultipartUploads finds the upload.
    ups = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
    check([(u["Key"], u["UploadId"]) for u in ups] == [(KEY, upload_id)], f"list_multipart_uploads {ups}")

    # Complete and read back.
    done = s3.complete_multipart_upload(
        Bucket=BUCKET, Key=KEY, UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]})
    want_etag = '"%s-2"' % hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    check(done.get("ETag") == want_etag, f"complete ETag {done.get('ETag')!r}, want {want_etag}")
    body = s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()
    check(body == b"".join(parts), f"object reads back byte-exact ({len(body)} bytes)")
    try:
        s3.list_parts(Bucket=BUCKET, Key=KEY, UploadId=upload_id)
        check(False, "list_parts after complete must fail with NoSuchUpload")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "NoSuchUpload"
              and e.response["ResponseMetadata"]["HTTPStatusCode"] == 404,
              f"list_parts after complete: {e.response['Error']}")


def main():
    binary = setup(NAME)
    # Only TESSERA_POSTGRES passes: it moves metadata to PostgreSQL.
    srv = server_or_endpoint(binary, NAME, args=["--region", REGION],
                             env_keep=lambda k: not k.startswith("TESSERA_") or k == "TESSERA_POSTGRES")

    def journey():
        srv.start()
        # Endpoint mode: the server's log and data directory are not ours to read.
        if os.environ.get("TESSERA_POSTGRES") and not endpoint_mode():
            check("meta=postgres" in srv.log_text() and not os.path.exists(os.path.join(srv.data, "meta")),
                  "TESSERA_POSTGRES set: metadata is in PostgreSQL")
        run(srv)

    RES.phase("listparts journey", journey)
    return RES.summary()


if __name__ == "__main__":
    sys.exit(main())
