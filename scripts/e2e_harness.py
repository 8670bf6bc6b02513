"""The harness the boto3 end-to-end scripts share (scripts/e2e_*.py import
it; they run as `python3 scripts/NAME.py`, so this directory is on sys.path).

  * setup(NAME): the start of every script: $TESSERA_BIN must name the
    tessera executable; every AWS_* variable, CA bundle and proxy setting is
    removed and the shared config/credentials files point at /dev/null, so
    nothing in the environment changes boto3's behaviour; the servers are
    stopped at exit.
  * Server: the binary on a free 127.0.0.1 port with its own temporary
    directory (data, log, self-signed certificate for HTTPS), explicit
    --root-user/--root-password, waited for at /_tessera/health/ready;
    stop() and start() again restart it on the same data; close() (and
    stop_all) also removes the directory. client() is a boto3 client for it.
  * endpoint_mode() and Endpoint: with TESSERA_ENDPOINT set, a script
    drives that running Tessera (say, a load balancer in front of several
    gateways) as root with TESSERA_ACCESS_KEY/TESSERA_SECRET_KEY instead of
    starting a Server; TESSERA_BIN is then not needed. server_or_endpoint
    picks one. Steps that restart the server or read its log or data
    directory cannot run against an Endpoint: scripts skip them there and
    say which.
  * Results: counted checks, one line each ("ok   NAME" / "FAIL NAME: why"),
    and the last line, "NAME: N passed, M failed".
  * check, client_error, WireLog: the assertions and the record of the
    headers boto3 sends.
"""

import atexit
import datetime
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
import urllib.error
import urllib.request

MIB = 1024 * 1024
REGION = "us-east-1"

SERVERS = []  # every Server not yet closed


def setup(name):
    """TESSERA_BIN, the isolated environment and the clean-up at exit;
    returns the binary, or exits (one failure) when there is none (in
    endpoint mode the binary is not needed: None when absent)."""
    binary = os.environ.get("TESSERA_BIN")
    if endpoint_mode():
        if not os.environ.get("TESSERA_ACCESS_KEY") or not os.environ.get("TESSERA_SECRET_KEY"):
            print("%s: endpoint mode: set TESSERA_ACCESS_KEY and TESSERA_SECRET_KEY to the endpoint's root keys" % name,
                  file=sys.stderr)
            print("%s: 0 passed, 1 failed" % name)
            sys.exit(1)
        if binary and not os.access(binary, os.X_OK):
            binary = None
    elif not binary or not os.access(binary, os.X_OK):
        print("%s: TESSERA_BIN must name the tessera executable (got %r)" % (name, binary), file=sys.stderr)
        print("%s: 0 passed, 1 failed" % name)
        sys.exit(1)
    for k in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[k]
    for k in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(k, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    atexit.register(stop_all)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: (stop_all(), sys.exit(130)))
    return binary


def stop_all(*_):
    while SERVERS:
        SERVERS.pop().close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1 that is its own CA (Python's
    ssl and Go's crypto/tls take it as the trust root): (cert, key) paths."""
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
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


class Server:
    """The tessera binary on 127.0.0.1 over HTTP or (tls) HTTPS.

    user/password: the root credentials (random when not given); args: more
    server flags; env_keep: which of this process's environment variables
    the server gets (all when None). Each start() takes a free port.
    """

    def __init__(self, binary, name, tls=False, user=None, password=None, args=(), env_keep=None):
        self.binary = binary
        self.tls = tls
        self.args = list(args)
        self.env_keep = env_keep
        self.dir = tempfile.mkdtemp(prefix="tessera-%s-" % name)
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "server.log")
        self.user = user or "E2E" + secrets.token_hex(6).upper()
        self.password = password or secrets.token_urlsafe(24)
        self.proc = None
        self.log = None
        self.endpoint = None
        self.cert = self.key = self.ssl = None
        if tls:
            self.cert, self.key = make_cert(self.dir)
            self.ssl = ssl.create_default_context(cafile=self.cert)
        SERVERS.append(self)

    def start(self):
        port = free_port()
        args = [self.binary, "server", "--address", "127.0.0.1:%d" % port, "--data", self.data,
                "--root-user", self.user, "--root-password", self.password]
        if self.tls:
            args += ["--tls-cert", self.cert, "--tls-key", self.key]
        self.endpoint = "%s://127.0.0.1:%d" % ("https" if self.tls else "http", port)
        env = None
        if self.env_keep is not None:
            env = {k: v for k, v in os.environ.items() if self.env_keep(k)}
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args + self.args, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s; log: %s" % (self.proc.returncode, self.log_path))
            try:
                with self.urlopen(urllib.request.Request(self.endpoint + "/_tessera/health/ready"), timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server not ready after 30s; log: %s" % self.log_path)

    def stop(self):
        """Stops the process (the data stays for another start)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in SERVERS:
            SERVERS.remove(self)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self):
        return self.log_text()[-4000:]

    def client(self, secret=None, **config):
        """A boto3 S3 client for the server as root (or with another
        secret): path-style, one attempt, the certificate as CA bundle.
        config overrides those Config settings or adds others."""
        import boto3
        from botocore.config import Config

        settings = {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 1}}
        settings.update(config)
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=self.user, aws_secret_access_key=secret or self.password,
            verify=self.cert if self.tls else None, config=Config(**settings))

    def urlopen(self, req, timeout=30):
        return urllib.request.urlopen(req, timeout=timeout, context=self.ssl)

    def fetch(self, url, method="GET", data=None, headers=None):
        """Returns (status, body, headers) without raising on HTTP errors."""
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.urlopen(req) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers


def endpoint_mode():
    """Whether the script drives TESSERA_ENDPOINT instead of its own server."""
    return bool(os.environ.get("TESSERA_ENDPOINT"))


class Endpoint(Server):
    """A running Tessera at TESSERA_ENDPOINT (plain HTTP or HTTPS with a
    certificate the system trusts), used as root with
    TESSERA_ACCESS_KEY/TESSERA_SECRET_KEY: a Server the script neither
    starts nor stops. start() only waits for it to be ready; it has no
    data directory (data is None) and no log the script can read."""

    def __init__(self, name):  # noqa: super().__init__ would make a directory and a process
        self.binary = None
        self.tls = False
        self.args = []
        self.env_keep = None
        self.dir = self.data = None
        self.log_path = None
        self.user = os.environ["TESSERA_ACCESS_KEY"]
        self.password = os.environ["TESSERA_SECRET_KEY"]
        self.proc = self.log = None
        self.endpoint = os.environ["TESSERA_ENDPOINT"].rstrip("/")
        self.cert = self.key = self.ssl = None

    def start(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with self.urlopen(urllib.request.Request(self.endpoint + "/_tessera/health/ready"), timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("endpoint %s not ready after 30s" % self.endpoint)

    def stop(self):
        pass

    def close(self):
        pass

    def running(self):
        return True

    def log_text(self):
        return ""


def server_or_endpoint(binary, name, **kwargs):
    """The Endpoint in endpoint mode, else a Server(binary, name, **kwargs)."""
    if endpoint_mode():
        return Endpoint(name)
    return Server(binary, name, **kwargs)


class Results:
    """The script's checks, counted.

    quiet: passing checks print nothing; trace: a failure prints the
    exception's type and the tail of its traceback (otherwise only with
    E2E_VERBOSE set).
    """

    def __init__(self, name, quiet=False, trace=False):
        self.name = name
        self.quiet = quiet
        self.trace = trace
        self.passed = 0
        self.failed = 0

    def record(self, name, ok, detail=""):
        """One check's outcome; returns ok."""
        if ok:
            self.passed += 1
            if not self.quiet:
                print("ok   %s" % name, flush=True)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, "" if detail == "" else ": %s" % (detail,)), flush=True)
        return ok

    def run(self, name, fn):
        """A check that passes when fn returns and fails when it raises."""
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self._fail(name, e)
        else:
            self.record(name, True)

    def phase(self, label, fn):
        """A part of the script that starts servers: an exception outside a
        check counts as one failure, with the tail of each server's log;
        the servers are closed either way."""
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - a setup failure counts as one failure
            self._fail(label, e)
            for srv in SERVERS:
                print("--- server log (tail), %s ---\n%s" % (srv.endpoint, srv.log_tail()))
        finally:
            stop_all()

    def _fail(self, name, e):
        self.record(name, False, "%s: %s" % (type(e).__name__, e) if self.trace else e)
        if self.trace:
            for line in traceback.format_exc().splitlines()[-6:]:
                print("     | " + line)
        elif os.environ.get("E2E_VERBOSE"):
            traceback.print_exc()

    def summary(self):
        """Prints the last line; the exit status (non-zero on any failure
        or when nothing was checked)."""
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed), flush=True)
        return 1 if self.failed or not self.passed else 0


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def client_error(fn, status=None, code=None, message=None):
    """fn must fail with a ClientError of that HTTP status, error code and
    message (each when given); returns the error."""
    from botocore.exceptions import ClientError

    try:
        fn()
    except ClientError as e:
        got = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        err = e.response.get("Error", {})
        if status is not None:
            check(got == status, "status %s, want %s (%s)" % (got, status, err))
        if code is not None:
            check(err.get("Code") == code, "code %r, want %r (%s)" % (err.get("Code"), code, err))
        if message is not None:
            check(err.get("Message") == message, "message %r, want %r" % (err.get("Message"), message))
        return e
    raise AssertionError("succeeded; want %s %s" % (status or "", code or ""))


class WireLog:
    """Records the headers boto3 sends, per operation (values as str)."""

    def __init__(self, client):
        self.headers = {}
        client.meta.events.register("before-send.s3.*", self._record)

    def _record(self, request, **kwargs):
        op = kwargs.get("event_name", "").split(".")[-1]
        self.headers[op] = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
        return None
