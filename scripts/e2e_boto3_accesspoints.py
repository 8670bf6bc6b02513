#!/usr/bin/env python3
"""End-to-end check of access points with stock boto3 (issue 17).

Starts the Tessera binary named by $TESSERA_BIN with --domain s3.tessera.test
and resolves every name under that domain to 127.0.0.1 inside this process
(boto3 sends S3 Control calls to "{AccountId}.s3.tessera.test" and an access
point ARN given as Bucket to "{name}-{account}.s3.tessera.test"). Then:

  * s3control create_access_point / get_access_point / list_access_points;
  * the seed's ListParts example with the access point ARN as Bucket, and
    with its alias (virtual-host and path style);
  * `tessera admin accesspoint list` shows the access point;
  * delete_access_point, after which the ARN and the alias stop working.

The last line printed is "e2e-boto3-accesspoints: N passed, M failed"; the
exit status is non-zero if anything failed.
"""

import hashlib
import os
import socket
import subprocess
import sys

from e2e_harness import MIB, REGION, Results, Server, check, client_error, setup

NAME = "e2e-boto3-accesspoints"
DOMAIN = "s3.tessera.test"
BUCKET = "examplebucket"
KEY = "bigobject"
AP = "seed-ap"
RES = Results(NAME, trace=True)

_getaddrinfo = socket.getaddrinfo


def _resolve(host, *args, **kwargs):
    """Every name under DOMAIN is this machine (a test resolver: no DNS)."""
    if isinstance(host, str) and (host == DOMAIN or host.endswith("." + DOMAIN)):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _resolve


def clients(srv):
    import boto3
    from botocore.config import Config

    endpoint = "http://%s:%s" % (DOMAIN, srv.endpoint.rsplit(":", 1)[1])
    kw = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id=srv.user,
              aws_secret_access_key=srv.password)
    ctl = boto3.session.Session().client("s3control", config=Config(retries={"max_attempts": 1}), **kw)
    # ARNs need virtual-host addressing: boto3 refuses an ARN with path style.
    vhost = boto3.session.Session().client(
        "s3", config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}), **kw)
    return ctl, vhost


def root_account(binary, srv):
    out = subprocess.run([binary, "admin", "--endpoint", srv.endpoint, "--access-key", srv.user,
                          "--secret-key", srv.password, "user", "list"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 2 and f[1] == "root":
            return f[0]
    raise AssertionError("no root account in `tessera admin user list`:\n" + out)


def run(binary, srv):
    ctl, vhost = clients(srv)
    path = srv.client()
    account = root_account(binary, srv)
    path.create_bucket(Bucket=BUCKET)

    created = {}

    def create():
        r = ctl.create_access_point(AccountId=account, Name=AP, Bucket=BUCKET)
        created.update(r)
        check(r["AccessPointArn"] == "arn:aws:s3:%s:%s:accesspoint/%s" % (REGION, account, AP), r)
        check(r["Alias"].startswith(AP + "-") and r["Alias"].endswith("-s3alias"), r)
    RES.run("create_access_point", create)
    arn, alias = created.get("AccessPointArn"), created.get("Alias")

    def get():
        r = ctl.get_access_point(AccountId=account, Name=AP)
        check(r["Bucket"] == BUCKET and r["Alias"] == alias and r["NetworkOrigin"] == "Internet", r)
    RES.run("get_access_point", get)

    def listed():
        r = ctl.list_access_points(AccountId=account, Bucket=BUCKET)
        check([a["Name"] for a in r["AccessPointList"]] == [AP], r)
    RES.run("list_access_points", listed)

    upload_id = path.create_multipart_upload(Bucket=BUCKET, Key=KEY)["UploadId"]
    parts = [os.urandom(5 * MIB), b"the second and last part of the seed example\n" * 100]
    for n, body in enumerate(parts, start=1):
        path.upload_part(Bucket=BUCKET, Key=KEY, UploadId=upload_id, PartNumber=n, Body=body)

    def seed(client, bucket):
        def fn():
            resp = client.list_parts(Bucket=bucket, Key=KEY, UploadId=upload_id)
            got = [(p["PartNumber"], p["ETag"], p["Size"]) for p in resp["Parts"]]
            want = [(n, '"%s"' % hashlib.md5(b).hexdigest(), len(b)) for n, b in enumerate(parts, start=1)]
            check(got == want, "parts %s, want %s" % (got, want))
            check(resp["Key"] == KEY and resp["UploadId"] == upload_id, resp)
        return fn

    sent = []
    vhost.meta.events.register("before-send.s3.ListParts", lambda request, **_: sent.append(request.url))
    RES.run("list_parts with the access point ARN as Bucket", seed(vhost, arn))
    RES.run("the ARN request went to {name}-{account}.<domain>",
            lambda: check(sent and sent[0].startswith("http://%s-%s.%s:" % (AP, account, DOMAIN)), sent))
    RES.run("list_parts with the alias, virtual host", seed(vhost, alias))
    RES.run("list_parts with the alias, path style", seed(path, alias))

    def admin_list():
        out = subprocess.run([binary, "admin", "--endpoint", srv.endpoint, "--access-key", srv.user,
                              "--secret-key", srv.password, "accesspoint", "list"],
                             capture_output=True, text=True, check=True).stdout
        check(AP in out and alias in out, out)
    RES.run("tessera admin accesspoint list", admin_list)

    RES.run("delete_access_point", lambda: ctl.delete_access_point(AccountId=account, Name=AP))
    RES.run("get_access_point after delete: NoSuchAccessPoint",
            lambda: client_error(lambda: ctl.get_access_point(AccountId=account, Name=AP), 404, "NoSuchAccessPoint"))
    RES.run("list_parts with the alias after delete: NoSuchBucket",
            lambda: client_error(lambda: path.list_parts(Bucket=alias, Key=KEY, UploadId=upload_id), 404, "NoSuchBucket"))
    RES.run("list_parts with the ARN after delete fails",
            lambda: client_error(lambda: vhost.list_parts(Bucket=arn, Key=KEY, UploadId=upload_id), 404))


def main():
    binary = setup(NAME)
    srv = Server(binary, NAME, args=["--region", REGION, "--domain", DOMAIN],
                 env_keep=lambda k: not k.startswith("TESSERA_"))

    def journey():
        srv.start()
        run(binary, srv)

    RES.phase("access point journey", journey)
    return RES.summary()


if __name__ == "__main__":
    sys.exit(main())
