"""Swift's middlewares on a real three-node cluster, driven by python-swiftclient and plain HTTP."""
import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import urllib.error
import urllib.request

import pytest
from swiftclient.exceptions import ClientException

from conftest import ROOT, RUN, get_json, wait_until
from test_object_storage import connection, openrc, storage3, swift  # noqa: F401 (fixture)


def http(method, url, headers=None, data=None):
    """(status, headers, body) of a plain HTTP request, errors included."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def test_info_lists_the_enabled_middlewares(storage3):
    info = get_json(f"{storage3.urls[0]}/info")
    for section in ["swift", "slo", "dlo", "tempurl", "bulk_delete", "container_quotas", "account_quotas", "versioned_writes"]:
        assert section in info, section
    assert info["swift"]["max_object_name_length"] == 1024
    assert info["swift"]["container_listing_limit"] == 10000
    assert set(info["tempurl"]["allowed_digests"]) == {"sha256", "sha512"}


def test_a_60_mib_slo_upload_reads_back_identical_from_another_node(storage3, tmp_path):
    source = tmp_path / "big.bin"
    with open(source, "wb") as handle:
        for _ in range(60):
            handle.write(os.urandom(1 << 20))
    swift("upload", "--use-slo", "--segment-size", "10M", "big", "big.bin", cwd=tmp_path)
    segments = swift("list", "big_segments").stdout.split()
    assert len(segments) == 6
    headers = connection(storage3.urls[2]).head_object("big", "big.bin")
    assert int(headers["content-length"]) == 60 << 20
    assert headers["x-static-large-object"].lower() == "true"
    out = tmp_path / "out"
    out.mkdir()
    swift("download", "big", "big.bin", node_url=storage3.urls[2], cwd=out)
    assert sha256(out / "big.bin") == sha256(source)
    # A range across a segment boundary.
    _, part = connection(storage3.urls[1]).get_object("big", "big.bin", headers={"Range": f"bytes={(10 << 20) - 5}-{(10 << 20) + 4}"})
    with open(source, "rb") as handle:
        handle.seek((10 << 20) - 5)
        assert part == handle.read(10)
    swift("delete", "big", "big.bin")
    assert swift("list", "big_segments").stdout.split() == []


def test_dlo_upload_reads_back_identical(storage3, tmp_path):
    source = tmp_path / "dlo.bin"
    source.write_bytes(os.urandom(3 * (1 << 20) + 123))
    swift("upload", "--use-dlo", "--segment-size", "1048576", "dlo", "dlo.bin", cwd=tmp_path)
    headers = connection(storage3.urls[1]).head_object("dlo", "dlo.bin")
    assert "x-object-manifest" in headers
    assert int(headers["content-length"]) == source.stat().st_size
    _, body = connection(storage3.urls[2]).get_object("dlo", "dlo.bin")
    assert body == source.read_bytes()


def test_tempurl_lets_plain_http_read_without_a_token(storage3):
    conn = connection(storage3.urls[0])
    conn.put_container("shared")
    conn.put_object("shared", "report.txt", b"quarterly numbers")
    swift("post", "-m", "Temp-URL-Key:s3cr3t")
    path = swift("tempurl", "--digest", "sha256", "GET", "3600", "/v1/AUTH_admin/shared/report.txt", "s3cr3t").stdout.strip()
    status, headers, body = http("GET", storage3.urls[1] + path)
    assert status == 200 and body == b"quarterly numbers"
    assert "attachment" in headers.get("Content-Disposition", "")
    status, _, _ = http("GET", storage3.urls[1] + path.replace("temp_url_sig=", "temp_url_sig=0"))
    assert status == 401
    status, _, _ = http("PUT", storage3.urls[1] + path, data=b"overwrite")
    assert status == 401


def test_acls_public_reads_and_other_users(storage3):
    shoal = ROOT / ".build" / "debug" / "shoal"
    subprocess.run([str(shoal), "user", "add", "team:reader", "--key", "readme", "--url", storage3.urls[0],
                    "--secret-file", str(RUN / "node1" / "cluster.secret")], check=True, capture_output=True, timeout=60)
    admin = connection(storage3.urls[0])
    admin.put_container("acl", headers={"X-Container-Read": "team:reader"})
    admin.put_object("acl", "doc", b"for the team")
    reader = connection(storage3.urls[1], user="team:reader", key="readme")
    reader.get_auth()
    admin_url = reader.url.replace("AUTH_team", "AUTH_admin")
    status, _, body = http("GET", f"{admin_url}/acl/doc", headers={"X-Auth-Token": reader.token})
    assert status == 200 and body == b"for the team"
    status, _, _ = http("PUT", f"{admin_url}/acl/doc", headers={"X-Auth-Token": reader.token}, data=b"x")
    assert status == 403
    status, _, _ = http("GET", f"{storage3.urls[2]}/v1/AUTH_admin/acl/doc")
    assert status == 401
    admin.post_container("acl", {"X-Container-Read": ".r:*"})
    status, _, body = wait_until("anonymous read allowed", lambda: (lambda r: r if r[0] == 200 else None)(
        http("GET", f"{storage3.urls[2]}/v1/AUTH_admin/acl/doc")), 30)
    assert body == b"for the team"
    status, _, _ = http("GET", f"{storage3.urls[2]}/v1/AUTH_admin/acl")
    assert status == 401  # listings need .rlistings


def test_versions_location_keeps_and_restores_old_versions(storage3):
    conn = connection(storage3.urls[0])
    conn.put_container("archive")
    conn.put_container("versioned", headers={"X-Versions-Location": "archive"})
    conn.put_object("versioned", "doc", b"first")
    conn.put_object("versioned", "doc", b"second")
    _, archived = conn.get_container("archive")
    assert len(archived) == 1 and archived[0]["name"].startswith("003doc/")
    assert conn.get_object("versioned", "doc")[1] == b"second"
    conn.delete_object("versioned", "doc")
    assert conn.get_object("versioned", "doc")[1] == b"first"


def test_bulk_delete_and_archive_extract(storage3):
    conn = connection(storage3.urls[0])
    conn.get_auth()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in [("photos/a.jpg", b"AAA"), ("photos/b/c.jpg", b"CCC"), ("docs/readme", b"read me")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    status, _, body = http("PUT", f"{conn.url}/?extract-archive=tar.gz",
                           headers={"X-Auth-Token": conn.token, "Accept": "application/json"}, data=buffer.getvalue())
    result = json.loads(body)
    assert status == 200 and result["Number Files Created"] == 3, body
    assert conn.get_object("photos", "b/c.jpg")[1] == b"CCC"
    listing = "\n".join(["/photos/a.jpg", "/photos/b/c.jpg", "/photos/missing"]).encode()
    status, _, body = http("POST", f"{conn.url}?bulk-delete",
                           headers={"X-Auth-Token": conn.token, "Accept": "application/json", "Content-Type": "text/plain"},
                           data=listing)
    result = json.loads(body)
    assert result["Number Deleted"] == 2 and result["Number Not Found"] == 1, body


def test_container_quota_refuses_uploads_over_it(storage3):
    conn = connection(storage3.urls[0])
    conn.put_container("small", headers={"X-Container-Meta-Quota-Count": "1", "X-Container-Meta-Quota-Bytes": "100"})
    conn.put_object("small", "one", b"x" * 10)
    wait_until("the container counts its object", lambda: conn.head_container("small")["x-container-object-count"] == "1", 30)
    with pytest.raises(ClientException) as error:
        connection(storage3.urls[0]).put_object("small", "two", b"y")
    assert error.value.http_status == 413
    with pytest.raises(ClientException) as error:
        conn.put_container("small", headers={"X-Container-Meta-Quota-Bytes": "lots"})
    assert error.value.http_status == 400


def test_cors_preflight_follows_container_metadata(storage3):
    conn = connection(storage3.urls[0])
    conn.get_auth()
    conn.put_container("web-cors", headers={"X-Container-Meta-Access-Control-Allow-Origin": "https://app.example"})
    url = f"{conn.url}/web-cors/x"
    status, headers, _ = http("OPTIONS", url, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://app.example"
    status, _, _ = http("OPTIONS", url, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert status == 401


def test_expiring_objects_disappear(storage3):
    conn = connection(storage3.urls[0])
    conn.put_container("ephemeral")
    conn.put_object("ephemeral", "soon", b"gone soon", headers={"X-Delete-After": "2"})
    assert conn.get_object("ephemeral", "soon")[1] == b"gone soon"

    def gone():
        try:
            conn.head_object("ephemeral", "soon")
            return False
        except ClientException as error:
            return error.http_status == 404
    wait_until("the object expires", gone, 30)
    # The expirers delete the replicas and take the object out of the listing.
    wait_until("the expired object leaves the listing", lambda: conn.get_container("ephemeral")[1] == [], 30)


def test_account_acls_set_by_the_admin(storage3):
    shoal = ROOT / ".build" / "debug" / "shoal"
    subprocess.run([str(shoal), "user", "add", "ops:viewer", "--key", "viewme", "--url", storage3.urls[0],
                    "--secret-file", str(RUN / "node1" / "cluster.secret")], check=True, capture_output=True, timeout=60)
    admin = connection(storage3.urls[0])
    admin.put_container("acct-acl")
    admin.put_object("acct-acl", "o", b"visible")
    viewer = connection(storage3.urls[1], user="ops:viewer", key="viewme")
    url, token = viewer.get_auth()
    admin_url = url.replace("AUTH_ops", "AUTH_admin")
    assert http("GET", f"{admin_url}/acct-acl/o", headers={"X-Auth-Token": token})[0] == 403
    admin.post_account({"X-Account-Access-Control": json.dumps({"read-only": ["ops:viewer"]})})
    assert json.loads(admin.head_account()["x-account-access-control"]) == {"read-only": ["ops:viewer"]}
    status, _, body = http("GET", f"{admin_url}/acct-acl/o", headers={"X-Auth-Token": token})
    assert status == 200 and body == b"visible"
    status, _, body = http("GET", f"{admin_url}?format=json", headers={"X-Auth-Token": token})
    assert status == 200 and "acct-acl" in [c["name"] for c in json.loads(body)]
    assert http("PUT", f"{admin_url}/acct-acl/new", headers={"X-Auth-Token": token}, data=b"x")[0] == 403
    assert http("POST", admin_url, headers={"X-Auth-Token": token, "X-Account-Access-Control": "{}"})[0] == 403
    with pytest.raises(ClientException) as error:
        admin.post_account({"X-Account-Access-Control": "not json"})
    assert error.value.http_status == 400
