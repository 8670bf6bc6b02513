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

Every AWS_* variable is removed and the shared config/credentials files are
pointed at /dev/null, so nothing from the environment changes boto3's
defaults; the client gets explicit endpoint, credentials and region.

botocore implements CRC32C and CRC64NVME only through the optional awscrt
package. When awscrt is missing, pure-Python implementations are registered
in botocore's checksum table instead (same botocore code paths: trailers,
headers, response validation; only the arithmetic differs). The script says
which was used.

The last line printed is `e2e-boto3-checksums: N passed, M failed`; the exit
status is non-zero when anything failed. The server is killed at exit.
"""

import atexit
import base64
import datetime
import hashlib
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import zlib

MIB = 1024 * 1024
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
# Server

class Server:
    def __init__(self, binary, tls):
        self.binary = binary
        self.tls = tls
        self.dir = tempfile.mkdtemp(prefix="tessera-e2e-boto3-")
        self.user = "E2EBOTO3" + secrets.token_hex(6).upper()
        self.password = secrets.token_urlsafe(24)
        self.proc = None
        self.cert = None
        self.log_path = os.path.join(self.dir, "server.log")

    def _make_cert(self):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        cert_path = os.path.join(self.dir, "cert.pem")
        key_path = os.path.join(self.dir, "key.pem")
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        return cert_path, key_path

    def start(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        args = [self.binary, "server", "--address", "127.0.0.1:%d" % port,
                "--data", os.path.join(self.dir, "data"),
                "--root-user", self.user, "--root-password", self.password]
        scheme = "http"
        if self.tls:
            self.cert, key = self._make_cert()
            args += ["--tls-cert", self.cert, "--tls-key", key]
            scheme = "https"
        self.endpoint = "%s://127.0.0.1:%d" % (scheme, port)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        ctx = ssl.create_default_context(cafile=self.cert) if self.tls else None
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s:\n%s" % (self.proc.returncode, self.log_tail()))
            try:
                with urllib.request.urlopen(self.endpoint + "/_tessera/health/ready", timeout=2, context=ctx) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server not ready after 30s:\n" + self.log_tail())

    def log_tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-4000:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


SERVERS = []


def stop_all(*_):
    while SERVERS:
        SERVERS.pop().stop()


# --------------------------------------------------------------------------
# Checks

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.failed += 1
            print("FAIL %s: %s" % (name, e))
            if os.environ.get("E2E_VERBOSE"):
                traceback.print_exc()
        else:
            self.passed += 1
            print("ok   %s" % name)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def make_client(srv):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=srv.endpoint,
        aws_access_key_id=srv.user,
        aws_secret_access_key=srv.password,
        region_name="us-east-1",
        verify=srv.cert if srv.tls else None,
        # Path-style addressing only; every checksum setting stays default.
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


class WireLog:
    """Records the headers boto3 sends, to show trailer vs header form."""

    def __init__(self, client):
        self.headers = {}
        client.meta.events.register("before-send.s3.*", self._record)

    def _record(self, request, **kwargs):
        op = kwargs.get("event_name", "").split(".")[-1]
        self.headers[op] = {k.lower(): v for k, v in request.headers.items()}
        return None


def hdr(v):
    return v.decode() if isinstance(v, bytes) else v


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
    srv = Server(binary, tls)
    SERVERS.append(srv)
    srv.start()
    s3 = make_client(srv)
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
                check(hdr(sent.get("x-amz-trailer")) == name,
                      "over HTTPS boto3 should send the %s trailer; sent x-amz-trailer=%r" % (name, sent.get("x-amz-trailer")))
            else:
                check(hdr(sent.get(name)) == want, "over HTTP boto3 should send %s: %s; sent %r" % (name, want, sent.get(name)))
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
        from botocore.exceptions import ClientError

        key = "tampered"
        bad = b64("SHA256", b"something else")
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=data_small, ChecksumSHA256=bad)
        except ClientError as e:
            code = e.response["Error"]["Code"]
            check(code == "BadDigest", "tampered put_object: %s, want BadDigest" % code)
        else:
            raise AssertionError("tampered put_object succeeded")
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except ClientError as e:
            check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, "head after BadDigest: %s" % e)
        else:
            raise AssertionError("the tampered object was stored")

    res.run("%s tampered put_object" % scheme, tampered)

    stop_all()


def main():
    binary = os.environ.get("TESSERA_BIN")
    if not binary or not os.access(binary, os.X_OK):
        print("TESSERA_BIN must name the tessera executable (got %r)" % binary, file=sys.stderr)
        print("e2e-boto3-checksums: 0 passed, 1 failed")
        return 2
    for k in list(os.environ):
        if k.startswith("AWS_"):
            del os.environ[k]
    # No shared config or credentials files either: boto3's defaults only.
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

    atexit.register(stop_all)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: (stop_all(), sys.exit(130)))

    res = Results()
    res.run("checksum arithmetic vectors", self_test)
    import boto3
    import botocore
    print("boto3 %s, botocore %s; %s" % (boto3.__version__, botocore.__version__, ensure_botocore_algorithms()))

    data_small = os.urandom(300 * 1024 + 7)
    data_large = os.urandom(10 * MIB + 12345)  # three parts: 5 MiB, 5 MiB, the rest
    for tls in (False, True):
        try:
            run_scheme(res, binary, tls, data_small, data_large)
        except Exception as e:  # noqa: BLE001
            res.failed += 1
            print("FAIL %s setup: %s" % ("https" if tls else "http", e))
            if os.environ.get("E2E_VERBOSE"):
                traceback.print_exc()
            stop_all()

    print("e2e-boto3-checksums: %d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
