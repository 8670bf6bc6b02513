#!/usr/bin/env python3
"""End-to-end: stock boto3 with its DEFAULT checksum settings against a real
Tessera binary (issue 4, "boto3 default settings uploading and downloading
with validation"; S3-LANDSCAPE §2 row 14).

Usage:  TESSERA_BIN=/path/to/tessera python3 scripts/e2e_boto3_checksums.py

For HTTP and for HTTPS (self-signed certificate; boto3 then sends aws-chunked
trailers), the script starts the binary on a free 127.0.0.1 port with a
temporary --data directory and explicit --root-user/--root-password, and:

  * put_object with the defaults (boto3 adds CRC32) and with ChecksumAlgorithm
    CRC32, CRC32C, SHA1, SHA256 and CRC64NVME;
  * upload_file through the transfer manager, multipart from 5 MiB
    (TransferConfig multipart_threshold=5MiB), with the defaults (s3transfer
    adds CRC32, COMPOSITE) and with each algorithm;
  * get_object with the defaults: boto3 validates the response checksum
    (FULL_OBJECT values; it skips COMPOSITE "-N" ones by design) and the
    bytes are compared; head_object with ChecksumMode=ENABLED must report
    the checksum and type computed here independently.

The harness (scripts/e2e_harness.py) removes every AWS_* variable and
points the shared config/credentials files at /dev/null, so nothing from
the environment changes boto3's defaults; the client gets explicit
endpoint, credentials and region.

botocore implements CRC32C and CRC64NVME only through the optional awscrt
package. When awscrt is missing, pure-Python implementations are registered
in botocore's checksum table instead (same botocore code paths: trailers,
headers, response validation; only the arithmetic differs). The script says
which was used.

The last line printed is `e2e-boto3-checksums: N passed, M failed`; the exit
status is non-zero when anything failed. The server is killed at exit.
"""

import base64
import hashlib
import os
import sys
import tempfile
import zlib

from e2e_harness import MIB, Results, Server, WireLog, check, client_error, setup

NAME = "e2e-boto3-checksums"
ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]


# --------------------------------------------------------------------------
# Independent checksum arithmetic (reflected CRCs, init and xorout all ones).

def _crc_table(poly):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc_table(0x82F63B78)
_CRC64NVME_TABLE = _crc_table(0x9A6C9329AC4BC9B5)


def _crc_update(table, mask, data, prev=0):
    c = prev ^ mask
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ mask


def crc32c(data, prev=0):
    return _crc_update(_CRC32C_TABLE, 0xFFFFFFFF, data, prev)


def crc64nvme(data, prev=0):
    return _crc_update(_CRC64NVME_TABLE, 0xFFFFFFFFFFFFFFFF, data, prev)


def raw_digest(alg, data):
    alg = alg.upper()
    if alg == "CRC32":
        return (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
    if alg == "CRC32C":
        return crc32c(data).to_bytes(4, "big")
    if alg == "CRC64NVME":
        return crc64nvme(data).to_bytes(8, "big")
    if alg == "SHA1":
        return hashlib.sha1(data).digest()
    if alg == "SHA256":
        return hashlib.sha256(data).digest()
    raise ValueError(alg)


def b64(alg, data):
    return base64.b64encode(raw_digest(alg, data)).decode()


def composite(alg, parts):
    joined = b"".join(raw_digest(alg, p) for p in parts)
    return "%s-%d" % (b64(alg, joined), len(parts))


def self_test():
    """Known-answer vectors (S3-LANDSCAPE §3.21) for the arithmetic above."""
    hello = b"Hello world"
    want = {"CRC32": "i9aeUg==", "CRC32C": "crUfeA==", "CRC64NVME": "OOJZ0D8xKts=",
            "SHA1": "e1AsOh9IyGCa4hLN+2Od7jlnP14=",
            "SHA256": "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="}
    for alg, v in want.items():
        assert b64(alg, hello) == v, (alg, b64(alg, hello), v)
    assert crc64nvme(b"123456789") == 0xAE8B14860A799888
    assert crc64nvme(b"6789", crc64nvme(b"12345")) == 0xAE8B14860A799888


# --------------------------------------------------------------------------
# botocore without awscrt: register pure-Python CRC32C / CRC64NVME.

def ensure_botocore_algorithms():
    from botocore import httpchecksum as hc

    class PyCrc32cChecksum(hc.BaseChecksum):
        def __init__(self):
            self._crc = 0

        def update(self, chunk):
            self._crc = crc32c(chunk, self._crc)

        def digest(self):
            return self._crc.to_bytes(4, "big")

    class PyCrc64NvmeChecksum(hc.BaseChecksum):
        def __init__(self):
            self._crc = 0

        def update(self, chunk):
            self._crc = crc64nvme(chunk, self._crc)

        def digest(self):
            return self._crc.to_bytes(8, "big")

    used = []
    for name, cls in (("crc32c", PyCrc32cChecksum), ("crc64nvme", PyCrc64NvmeChecksum)):
        if name in hc._CHECKSUM_CLS:
            used.append("%s: awscrt" % name)
            continue
        hc._CHECKSUM_CLS[name] = cls
        if name not in hc._SUPPORTED_CHECKSUM_ALGORITHMS:
            hc._SUPPORTED_CHECKSUM_ALGORITHMS.append(name)
        used.append("%s: pure Python (awscrt not installed)" % name)
    return ", ".join(used)


# --------------------------------------------------------------------------
# Checks

def get_and_compare(s3, bucket, key, data, expect_validated):
    from botocore.httpchecksum import StreamingChecksumBody

    resp = s3.get_object(Bucket=bucket, Key=key)
    body = resp["Body"]
    got = body.read()
    check(got == data, "get_object returned %d bytes differing from the %d uploaded" % (len(got), len(data)))
    validated = isinstance(body, StreamingChecksumBody)
    if expect_validated:
        check(validated, "boto3 did not validate the response checksum (headers: %s)" % sorted(
            k for k in resp["ResponseMetadata"]["HTTPHeaders"] if k.startswith("x-amz-checksum")))


def head_checksum(s3, bucket, key, alg, want, want_type):
    h = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    got = h.get("Checksum" + alg)
    check(got == want, "head_object Checksum%s = %r, want %r" % (alg, got, want))
    check(h.get("ChecksumType") == want_type, "head_object ChecksumType = %r, want %r" % (h.get("ChecksumType"), want_type))


def run_scheme(res, binary, tls, data_small, data_large):
    from boto3.s3.transfer import TransferConfig

    scheme = "https" if tls else "http"
    srv = Server(binary, NAME, tls=tls).start()
    # Path-style addressing only; every checksum setting stays default.
    s3 = srv.client()
    wire = WireLog(s3)
    bucket = "e2e-boto3-" + scheme
    s3.create_bucket(Bucket=bucket)
    tmp = tempfile.mkdtemp(dir=srv.dir)
    path = os.path.join(tmp, "large.bin")
    with open(path, "wb") as f:
        f.write(data_large)
    transfer = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    parts = [data_large[i:i + 5 * MIB] for i in range(0, len(data_large), 5 * MIB)]

    for alg in [None] + ALGORITHMS:
        label = alg or "default"
        used = alg or "CRC32"  # boto3's and s3transfer's default algorithm

        def put_case(alg=alg, used=used, label=label):
            key = "put-" + label
            kwargs = {"ChecksumAlgorithm": alg} if alg else {}
            resp = s3.put_object(Bucket=bucket, Key=key, Body=data_small, **kwargs)
            want = b64(used, data_small)
            sent = wire.headers.get("PutObject", {})
            name = "x-amz-checksum-" + used.lower()
            if tls:
                check(sent.get("x-amz-trailer") == name,
                      "over HTTPS boto3 should send the %s trailer; sent x-amz-trailer=%r" % (name, sent.get("x-amz-trailer")))
            else:
                check(sent.get(name) == want, "over HTTP boto3 should send %s: %s; sent %r" % (name, want, sent.get(name)))
            check(resp.get("Checksum" + used) == want, "put_object Checksum%s = %r, want %r" % (used, resp.get("Checksum" + used), want))
            head_checksum(s3, bucket, key, used, want, "FULL_OBJECT")
            get_and_compare(s3, bucket, key, data_small, expect_validated=True)

        def upload_case(alg=alg, used=used, label=label):
            key = "upload-file-" + label
            extra = {"ChecksumAlgorithm": alg} if alg else None
            s3.upload_file(path, bucket, key, ExtraArgs=extra, Config=transfer)
            h = s3.head_object(Bucket=bucket, Key=key)
            check(h["ContentLength"] == len(data_large), "size %d, want %d" % (h["ContentLength"], len(data_large)))
            check(h["ETag"].strip('"').endswith("-%d" % len(parts)),
                  "ETag %s: want a %d-part multipart object" % (h["ETag"], len(parts)))
            if used == "CRC64NVME":
                want, want_type = b64(used, data_large), "FULL_OBJECT"
            else:
                want, want_type = composite(used, parts), "COMPOSITE"
            head_checksum(s3, bucket, key, used, want, want_type)
            get_and_compare(s3, bucket, key, data_large, expect_validated=(want_type == "FULL_OBJECT"))

        res.run("%s put_object %s" % (scheme, label), put_case)
        res.run("%s upload_file multipart %s" % (scheme, label), upload_case)

    def copy_case():
        # copy_object with ChecksumAlgorithm computes the new checksum, and
        # boto3 validates the download with it.
        key = "copy-crc64nvme"
        s3.put_object(Bucket=bucket, Key="src-sha1", Body=data_small, ChecksumAlgorithm="SHA1")
        s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": "src-sha1"},
                       ChecksumAlgorithm="CRC64NVME")
        head_checksum(s3, bucket, key, "CRC64NVME", b64("CRC64NVME", data_small), "FULL_OBJECT")
        get_and_compare(s3, bucket, key, data_small, expect_validated=True)

    res.run("%s copy_object to CRC64NVME" % scheme, copy_case)

    def tampered():
        # A wrong explicit checksum is refused with BadDigest and not stored.
        key = "tampered"
        bad = b64("SHA256", b"something else")
        client_error(lambda: s3.put_object(Bucket=bucket, Key=key, Body=data_small, ChecksumSHA256=bad), code="BadDigest")
        client_error(lambda: s3.head_object(Bucket=bucket, Key=key), 404)

    res.run("%s tampered put_object" % scheme, tampered)


def main():
    binary = setup(NAME)
    res = Results(NAME)
    res.run("checksum arithmetic vectors", self_test)
    import boto3
    import botocore
    print("boto3 %s, botocore %s; %s" % (boto3.__version__, botocore.__version__, ensure_botocore_algorithms()))

    data_small = os.urandom(300 * 1024 + 7)
    data_large = os.urandom(10 * MIB + 12345)  # three parts: 5 MiB, 5 MiB, the rest
    for tls in (False, True):
        res.phase("%s setup" % ("https" if tls else "http"), lambda: run_scheme(res, binary, tls, data_small, data_large))
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
