#!/usr/bin/env python3
"""End-to-end: bucket versioning through stock boto3 against a real Tessera
binary (issue 11).

Usage:  TESSERA_BIN=/path/to/tessera python3 scripts/e2e_boto3_versions.py

The script starts the binary on a free 127.0.0.1 port with a temporary
--data directory and explicit --root-user/--root-password, and checks with
boto3's default settings (S3's answers as LocalStack's snapshots recorded
them against AWS, /tmp/research11-versioning.md):

  * get_bucket_versioning on a fresh bucket has no Status; put Enabled and
    read it back; a lowercase status is MalformedXML;
  * put_object returns VersionId; get_object/head_object with VersionId
    read each version byte-exact; an unknown well-formed ID is
    NoSuchVersion, a malformed one InvalidArgument;
  * delete_object makes a delete marker (DeleteMarker, VersionId); the key
    then answers 404 with x-amz-delete-marker; get by the marker's ID is
    405; deleting the marker by ID brings the version back;
  * list_object_versions (boto3 sends encoding-type=url and decodes):
    versions and markers newest first, IsLatest, the paginator's pages
    equal one listing; a key with spaces round-trips;
  * delete_objects with VersionId entries; copy_object from an older
    version restores it (CopySourceVersionId);
  * on a Suspended bucket put_object sends no VersionId and a delete makes
    the null marker;
  * everything above survives a restart of the binary.

With TESSERA_POSTGRES set (tests/e2e/postgres) the server keeps its
metadata in that PostgreSQL database, and the script checks it does.

The last line printed is `e2e-boto3-versions: N passed, M failed`; the exit
status is non-zero when anything failed.
"""

import os
import sys

from e2e_harness import Results, Server, check, client_error, setup

NAME = "e2e-boto3-versions"
RES = Results(NAME, trace=True)
UNKNOWN_ID = "0000000000000000000000000000000A"  # well-formed (base32hex, 32 chars), never made


def versions_of(s3, bucket, **kw):
    """One listing as [(key, id, is_marker, is_latest)] newest first per key."""
    out = s3.list_object_versions(Bucket=bucket, **kw)
    entries = [(v["Key"], v["VersionId"], False, v["IsLatest"]) for v in out.get("Versions", [])]
    entries += [(m["Key"], m["VersionId"], True, m["IsLatest"]) for m in out.get("DeleteMarkers", [])]
    # boto3 splits the interleaved XML; IDs of one key sort newest first.
    return sorted(entries, key=lambda e: (e[0], e[1])), out


def scenario(srv):
    s3 = srv.client()
    b = "e2e-versions"
    s3.create_bucket(Bucket=b)
    state = {}

    def fresh_bucket():
        got = s3.get_bucket_versioning(Bucket=b)
        check("Status" not in got, "never-set bucket answers a Status: %s" % got)
        client_error(lambda: s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "enabled"}),
                     status=400, code="MalformedXML")
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        check(s3.get_bucket_versioning(Bucket=b).get("Status") == "Enabled", "not Enabled")
    RES.run("versioning configuration", fresh_bucket)

    def puts():
        ids = []
        for body in (b"one", b"two", b"three"):
            r = s3.put_object(Bucket=b, Key="doc key.txt", Body=body)
            check(len(r.get("VersionId", "")) == 32, "put_object VersionId %r" % r.get("VersionId"))
            ids.append(r["VersionId"])
        check(len(set(ids)) == 3, "IDs not distinct: %s" % ids)
        for body, vid in zip((b"one", b"two", b"three"), ids):
            g = s3.get_object(Bucket=b, Key="doc key.txt", VersionId=vid)
            check(g["Body"].read() == body and g["VersionId"] == vid, "version %s reads wrong" % vid)
            h = s3.head_object(Bucket=b, Key="doc key.txt", VersionId=vid)
            check(h["ContentLength"] == len(body) and h["VersionId"] == vid, "head %s: %s" % (vid, h))
        state["ids"] = ids
    RES.run("put three versions, read each by VersionId", puts)

    RES.run("unknown well-formed VersionId: NoSuchVersion", lambda: client_error(
        lambda: s3.get_object(Bucket=b, Key="doc key.txt", VersionId=UNKNOWN_ID), status=404, code="NoSuchVersion"))
    RES.run("malformed VersionId: InvalidArgument", lambda: client_error(
        lambda: s3.get_object(Bucket=b, Key="doc key.txt", VersionId="not-an-id"), status=400, code="InvalidArgument",
        message="Invalid version id specified"))

    def markers():
        d = s3.delete_object(Bucket=b, Key="doc key.txt")
        check(d.get("DeleteMarker") is True and len(d.get("VersionId", "")) == 32, "delete: %s" % d)
        state["dm"] = d["VersionId"]
        e = client_error(lambda: s3.get_object(Bucket=b, Key="doc key.txt"), status=404, code="NoSuchKey")
        hdrs = e.response["ResponseMetadata"]["HTTPHeaders"]
        check(hdrs.get("x-amz-delete-marker") == "true" and hdrs.get("x-amz-version-id") == d["VersionId"],
              "404 headers: %s" % hdrs)
        e = client_error(lambda: s3.get_object(Bucket=b, Key="doc key.txt", VersionId=d["VersionId"]),
                         status=405, code="MethodNotAllowed")
        check(e.response["ResponseMetadata"]["HTTPHeaders"].get("allow") == "DELETE", "no Allow: DELETE")
        client_error(lambda: s3.head_object(Bucket=b, Key="doc key.txt"), status=404)
    RES.run("delete makes a marker with S3's 404/405 answers", markers)

    def listing():
        entries, out = versions_of(s3, b)
        ids, dm = state["ids"], state["dm"]
        want = [("doc key.txt", dm, True, True), ("doc key.txt", ids[2], False, False),
                ("doc key.txt", ids[1], False, False), ("doc key.txt", ids[0], False, False)]
        check(entries == want, "listing %s, want %s" % (entries, want))
        check(out.get("EncodingType") == "url", "EncodingType %r" % out.get("EncodingType"))
        v = out["Versions"][0]
        check(v.get("StorageClass") == "STANDARD" and v.get("Owner", {}).get("ID"), "version fields: %s" % v)
        pages = [p for p in s3.get_paginator("list_object_versions").paginate(Bucket=b, PaginationConfig={"PageSize": 1})]
        paged = sorted([(v["Key"], v["VersionId"], False, v["IsLatest"]) for p in pages for v in p.get("Versions", [])] +
                       [(m["Key"], m["VersionId"], True, m["IsLatest"]) for p in pages for m in p.get("DeleteMarkers", [])],
                       key=lambda e: (e[0], e[1]))
        check(len(pages) == 4 and paged == entries, "paginator: %d pages %s" % (len(pages), paged))
        l2 = s3.list_objects_v2(Bucket=b)
        check(l2["KeyCount"] == 0, "list_objects_v2 shows a deleted key: %s" % l2.get("Contents"))
    RES.run("list_object_versions newest first, paginator equal", listing)

    def undelete():
        d = s3.delete_object(Bucket=b, Key="doc key.txt", VersionId=state["dm"])
        check(d.get("DeleteMarker") is True and d.get("VersionId") == state["dm"], "delete marker by id: %s" % d)
        check(s3.get_object(Bucket=b, Key="doc key.txt")["Body"].read() == b"three", "not back")
    RES.run("deleting the marker brings the latest version back", undelete)

    def restore():
        ids = state["ids"]
        c = s3.copy_object(Bucket=b, Key="doc key.txt", CopySource={"Bucket": b, "Key": "doc key.txt", "VersionId": ids[0]})
        check(c.get("CopySourceVersionId") == ids[0] and len(c.get("VersionId", "")) == 32, "copy: %s" % c)
        check(s3.get_object(Bucket=b, Key="doc key.txt")["Body"].read() == b"one", "restore failed")
        state["restored"] = c["VersionId"]
    RES.run("copy_object from an older version restores it", restore)

    def batch():
        ids = state["ids"]
        r = s3.delete_objects(Bucket=b, Delete={"Objects": [
            {"Key": "doc key.txt", "VersionId": ids[1]},
            {"Key": "other", },
            {"Key": "doc key.txt", "VersionId": "HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD"}]})
        deleted = {(d["Key"], d.get("VersionId")): d for d in r.get("Deleted", [])}
        check(("doc key.txt", ids[1]) in deleted and "DeleteMarker" not in deleted[("doc key.txt", ids[1])], "version entry: %s" % r)
        other = [d for d in r.get("Deleted", []) if d["Key"] == "other"]
        check(len(other) == 1 and other[0].get("DeleteMarker") is True and len(other[0].get("DeleteMarkerVersionId", "")) == 32,
              "plain entry: %s" % other)
        errs = r.get("Errors", [])
        check(len(errs) == 1 and errs[0]["Code"] == "NoSuchVersion", "errors: %s" % errs)
        client_error(lambda: s3.get_object(Bucket=b, Key="doc key.txt", VersionId=ids[1]), status=404, code="NoSuchVersion")
    RES.run("delete_objects with VersionId entries", batch)

    def suspended():
        sb = "e2e-versions-suspended"
        s3.create_bucket(Bucket=sb)
        s3.put_bucket_versioning(Bucket=sb, VersioningConfiguration={"Status": "Suspended"})
        r = s3.put_object(Bucket=sb, Key="k", Body=b"null version")
        check("VersionId" not in r, "suspended put_object sent VersionId %r" % r.get("VersionId"))
        check(s3.get_object(Bucket=sb, Key="k")["VersionId"] == "null", "get of the null version")
        d = s3.delete_object(Bucket=sb, Key="k")
        check(d.get("DeleteMarker") is True and d.get("VersionId") == "null", "suspended delete: %s" % d)
        entries, _ = versions_of(s3, sb)
        check(entries == [("k", "null", True, True)], "suspended listing %s" % entries)
    RES.run("suspended bucket: no VersionId on put, null delete marker", suspended)
    return b


def after_restart(srv, b):
    s3 = srv.client()

    def same():
        check(s3.get_bucket_versioning(Bucket=b).get("Status") == "Enabled", "state lost")
        entries, _ = versions_of(s3, b)
        check(len(entries) == 4, "listing after restart: %s" % entries)
        check(s3.get_object(Bucket=b, Key="doc key.txt")["Body"].read() == b"one", "latest lost")
        ids = [e[1] for e in entries if e[0] == "doc key.txt"]
        oldest = s3.get_object(Bucket=b, Key="doc key.txt", VersionId=ids[-1])
        check(oldest["Body"].read() == b"one", "oldest version")
    RES.run("versions survive a restart", same)

    def drain():
        for p in s3.get_paginator("list_object_versions").paginate(Bucket=b):
            objs = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in p.get("Versions", []) + p.get("DeleteMarkers", [])]
            if objs:
                s3.delete_objects(Bucket=b, Delete={"Objects": objs, "Quiet": True})
        s3.delete_bucket(Bucket=b)
    RES.run("a bucket emptied of every version deletes", drain)


def main():
    binary = setup(NAME)
    # Only TESSERA_POSTGRES passes: it moves metadata to PostgreSQL.
    srv = Server(binary, NAME, env_keep=lambda k: not k.startswith("TESSERA_") or k == "TESSERA_POSTGRES")

    def journey():
        srv.start()
        if os.environ.get("TESSERA_POSTGRES"):
            RES.run("TESSERA_POSTGRES set: metadata is in PostgreSQL", lambda: check(
                "meta=postgres" in srv.log_text() and not os.path.exists(os.path.join(srv.data, "meta")), "not on PostgreSQL"))
        b = scenario(srv)
        srv.stop()
        srv.start()
        after_restart(srv, b)

    RES.phase("versions journey", journey)
    return RES.summary()


if __name__ == "__main__":
    sys.exit(main())
