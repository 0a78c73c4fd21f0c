"""The unmodified `swift` CLI and python-swiftclient against a real three-node cluster."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from swiftclient import client as swift_client
from swiftclient.exceptions import ClientException

from conftest import ROOT, RUN, openrc, wait_until

SWIFT_CLI = Path(sys.prefix) / "bin" / "swift"  # python-swiftclient's CLI, from the test venv


def swift(*args, node_url=None, user=None, key=None, cwd=None, check=True):
    """Runs the swift CLI with the cluster's credentials (against node_url when given)."""
    rc = openrc()
    # As in a shell that sourced cluster/run/openrc: the OS_* exports too, which
    # python-swiftclient also reads.
    env = dict(os.environ) | rc
    env["ST_AUTH"] = f"{node_url}/auth/v1.0" if node_url else rc["ST_AUTH"]
    env["ST_USER"] = user or rc["ST_USER"]
    env["ST_KEY"] = key or rc["ST_KEY"]
    result = subprocess.run([str(SWIFT_CLI), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        pytest.fail(f"swift {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def connection(node_url, user=None, key=None):
    rc = openrc()
    return swift_client.Connection(
        authurl=f"{node_url}/auth/v1.0", user=user or rc["ST_USER"], key=key or rc["ST_KEY"], retries=0, timeout=30)


def md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def storage3(cluster3):
    # Every node answers the Swift API once the ring has all three devices.
    def ready():
        return all(len(cluster3.status(n)["ring"]["devices"]) == 3 for n in (1, 2, 3))
    wait_until("a ring with three devices on every node", ready, 60)
    for url in cluster3.urls:
        wait_until(f"{url} authenticates", lambda: connection(url).get_auth(), 30)
    return cluster3


def test_cli_post_upload_list_stat_download_delete(storage3, tmp_path):
    source = tmp_path / "hello.txt"
    source.write_bytes(b"hello from shoal\n" * 1000)
    swift("post", "docs")
    swift("upload", "docs", "hello.txt", cwd=tmp_path)
    assert swift("list", "docs").stdout.split() == ["hello.txt"]
    stat = swift("stat", "docs", "hello.txt").stdout
    assert "Content Length: 17000" in stat
    assert md5(source) in stat
    container_stat = swift("stat", "docs").stdout
    assert "Objects: 1" in container_stat
    out = tmp_path / "out"
    out.mkdir()
    swift("download", "docs", "hello.txt", cwd=out)
    assert (out / "hello.txt").read_bytes() == source.read_bytes()
    swift("delete", "docs", "hello.txt")
    assert swift("list", "docs").stdout.split() == []
    assert "docs" in swift("list").stdout.split()


def test_folder_upload_listings_with_prefix_and_delimiter(storage3, tmp_path):
    tree = tmp_path / "site"
    for name in ["index.html", "css/main.css", "css/print.css", "img/a/logo.png", "img/b.png"]:
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {name}\n")
    swift("upload", "web", "site", cwd=tmp_path)
    listed = swift("list", "web").stdout.split()
    assert listed == sorted(f"site/{n}" for n in ["index.html", "css/main.css", "css/print.css", "img/a/logo.png", "img/b.png"])
    assert swift("list", "web", "--prefix", "site/css/").stdout.split() == ["site/css/main.css", "site/css/print.css"]
    assert swift("list", "web", "--prefix", "site/", "--delimiter", "/").stdout.split() == [
        "site/css/", "site/img/", "site/index.html"]
    conn = connection(storage3.urls[1])
    _, entries = conn.get_container("web", prefix="site/img/", delimiter="/")
    assert [e.get("subdir", e.get("name")) for e in entries] == ["site/img/a/", "site/img/b.png"]
    _, entries = conn.get_container("web", marker="site/css/print.css", end_marker="site/img/b.png")
    assert [e["name"] for e in entries] == ["site/img/a/logo.png"]
    _, entries = conn.get_container("web", query_string="limit=2&reverse=true")
    assert [e["name"] for e in entries] == ["site/index.html", "site/img/b.png"]


def test_metadata_round_trips(storage3):
    conn = connection(storage3.urls[0])
    conn.put_container("meta", headers={"X-Container-Meta-Owner": "ops"})
    conn.put_object("meta", "thing", b"abc", content_type="text/plain", headers={"X-Object-Meta-Color": "blue"})
    headers = conn.head_object("meta", "thing")
    assert headers["x-object-meta-color"] == "blue"
    assert headers["content-type"] == "text/plain"
    assert headers["etag"] == hashlib.md5(b"abc").hexdigest()
    swift("post", "-m", "color:green", "-m", "size:L", "meta", "thing")
    headers = connection(storage3.urls[2]).head_object("meta", "thing")
    assert headers["x-object-meta-color"] == "green" and headers["x-object-meta-size"] == "L"
    assert connection(storage3.urls[1]).head_container("meta")["x-container-meta-owner"] == "ops"
    conn.post_account({"X-Account-Meta-Team": "storage"})
    assert connection(storage3.urls[2]).head_account()["x-account-meta-team"] == "storage"
    with pytest.raises(ClientException) as error:
        conn.put_object("meta", "big", b"x", headers={"X-Object-Meta-" + "k" * 200: "v"})
    assert error.value.http_status == 400


def test_write_through_one_node_is_read_and_listed_through_every_node(storage3):
    first = connection(storage3.urls[0])
    first.put_container("everywhere")
    body = os.urandom(256 * 1024)
    etag = first.put_object("everywhere", "blob", body)
    assert etag == hashlib.md5(body).hexdigest()
    _, listing = connection(storage3.urls[2]).get_container("everywhere")
    assert [entry["name"] for entry in listing] == ["blob"]
    for url in storage3.urls:
        headers, data = connection(url).get_object("everywhere", "blob")
        assert data == body
        assert headers["etag"] == etag
        assert headers["accept-ranges"] == "bytes"
        assert headers["x-trans-id"].startswith("tx")
    headers, part = connection(storage3.urls[1]).get_object("everywhere", "blob", headers={"Range": "bytes=10-19"})
    assert part == body[10:20] and headers["content-range"] == f"bytes 10-19/{len(body)}"


def metric(url, name, labels=""):
    """The value of one sample on a node's /metrics (0 when the node has not emitted it yet)."""
    text = urllib.request.urlopen(f"{url}/metrics", timeout=5).read().decode()
    wanted = f"{name}{{{labels}}}" if labels else name
    values = [float(line.split()[-1]) for line in text.splitlines() if line.split(" ")[0] == wanted]
    return sum(values)


def test_small_objects_move_between_nodes_in_one_message_and_metrics_show_it(storage3):
    """A 4 KiB PUT or GET reaches other nodes with its body inside the request or answer
    (no chunk and end messages); every node counts that, and its messages, on /metrics."""
    inline_before = sum(metric(url, "shoal_transport_inline_bodies_total") for url in storage3.urls)
    first = connection(storage3.urls[0])
    first.put_container("small")
    bodies = {f"o{i}": os.urandom(4096) for i in range(12)}
    for name, body in bodies.items():
        assert first.put_object("small", name, body) == hashlib.md5(body).hexdigest()
    for url in storage3.urls:
        reader = connection(url)
        for name, body in bodies.items():
            assert reader.get_object("small", name)[1] == body
    inline_after = sum(metric(url, "shoal_transport_inline_bodies_total") for url in storage3.urls)
    # Each PUT writes replicas on the two other nodes, at least: that is 24 request bodies inline.
    assert inline_after - inline_before >= 2 * len(bodies)
    for url in storage3.urls:
        assert metric(url, "shoal_transport_messages_total", 'direction="out"') > 0
        assert metric(url, "shoal_transport_messages_total", 'direction="in"') > 0
        assert metric(url, "shoal_transport_dropped_total", 'reason="malformed"') == 0


def test_errors_are_swifts(storage3):
    conn = connection(storage3.urls[0])
    with pytest.raises(ClientException) as error:
        conn.get_object("no-such-container", "x")
    assert error.value.http_status == 404
    conn.put_container("full")
    conn.put_object("full", "o", b"1")
    with pytest.raises(ClientException) as error:
        conn.delete_container("full")
    assert error.value.http_status == 409
    with pytest.raises(ClientException) as error:
        conn.put_object("full", "o2", b"data", etag="0" * 32)
    assert error.value.http_status == 422
    with pytest.raises(ClientException) as error:
        conn.get_object("full", "o", headers={"If-None-Match": hashlib.md5(b"1").hexdigest()})
    assert error.value.http_status == 304


def load_generator(*args):
    """Runs `shoal-bench swift-api` (the load generator bench/compare drives every system
    with) against node 1 with the cluster's credentials; its JSON line per phase."""
    rc = openrc()
    result = subprocess.run(
        [str(ROOT / ".build" / "debug" / "shoal-bench"), "swift-api", "--auth", rc["ST_AUTH"], "--user", rc["ST_USER"],
         "--key", rc["ST_KEY"], "--container", "loadgen", "--prefix", "lg", "--size", "3000", "--concurrency", "8",
         "--json", *args],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_load_generator_writes_reads_and_deletes_what_it_reports(storage3):
    """The benchmark's HTTP driver: what it counts as done is on the cluster, byte for byte,
    and what the cluster refuses it counts as failed."""
    put, get = load_generator("--count", "40", "--phases", "put,get")
    assert (put["phase"], put["operations"], put["failures"]) == ("put", 40, 0)
    assert (get["phase"], get["operations"], get["failures"]) == ("get", 40, 0)
    conn = connection(storage3.urls[2])
    listed = conn.get_container("loadgen")[1]
    assert sorted(entry["name"] for entry in listed) == sorted(f"lg-{i}" for i in range(40))
    assert all(entry["bytes"] == 3000 for entry in listed)
    assert conn.get_object("loadgen", "lg-17")[1] == bytes((i * 31 + 7) & 0xFF for i in range(3000))
    (delete,) = load_generator("--count", "40", "--phases", "delete")
    assert (delete["operations"], delete["failures"]) == (40, 0)
    wait_until("an empty listing", lambda: conn.get_container("loadgen")[1] == [], 30)
    (missing,) = load_generator("--count", "40", "--phases", "get")
    assert (missing["operations"], missing["failures"]) == (40, 40)


def test_users_added_with_shoal_user_add_work_with_the_cli(storage3):
    shoal = ROOT / ".build" / "debug" / "shoal"
    result = subprocess.run(
        [str(shoal), "user", "add", "test:tester", "--key", "testing", "--admin", "--url", storage3.urls[1],
         "--secret-file", str(RUN / "node1" / "cluster.secret")],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    swift("post", "mine", user="test:tester", key="testing", node_url=storage3.urls[2])
    assert swift("list", user="test:tester", key="testing").stdout.split() == ["mine"]
    assert "Account: AUTH_test" in swift("stat", user="test:tester", key="testing").stdout
    denied = swift("list", user="test:tester", key="wrong", check=False)
    assert denied.returncode != 0


def test_one_node_down_keeps_puts_gets_and_listings_working(storage3, tmp_path):
    conn = connection(storage3.urls[0])
    conn.put_container("resilient")
    conn.put_object("resilient", "before", b"written with three nodes")
    os.kill(storage3.pid(3), signal.SIGKILL)
    wait_until("node3 declared dead by node1 and node2", lambda: all(
        any(m["id"] == "node3" and m["status"] == "dead" for m in storage3.status(n)["members"]) for n in (1, 2)), 60)
    for i in range(5):
        conn.put_object("resilient", f"during-{i}", f"payload {i}".encode())
    assert connection(storage3.urls[1]).get_object("resilient", "during-3")[1] == b"payload 3"
    assert connection(storage3.urls[1]).get_object("resilient", "before")[1] == b"written with three nodes"
    _, listing = connection(storage3.urls[1]).get_container("resilient")
    assert [e["name"] for e in listing] == ["before"] + [f"during-{i}" for i in range(5)]
    storage3.start_node(3)
