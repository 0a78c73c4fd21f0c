"""A network partition between real processes: each node runs in its own network namespace
(veth pairs on a bridge the test creates), one node is cut off under load and healed.
Nothing acknowledged is lost and the replicas converge. Needs root; skips otherwise."""
import hashlib
import os
import shutil
import subprocess
import threading
import time

import pytest
from swiftclient import client as swift_client

from conftest import ROOT, RUN, get_json, print_log_tails, wait_until
from test_durability import FAST, Load

BRIDGE = "shoalbr0"
SUBNET = "10.77.0"
NODES = (1, 2, 3)
BINARY = ROOT / ".build" / os.environ.get("SHOAL_CONFIGURATION", "debug") / "shoal"


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def namespaces_available():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    probe = sh("ip", "netns", "add", "shoal-probe", check=False)
    sh("ip", "netns", "del", "shoal-probe", check=False)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not namespaces_available(),
                                reason="needs root and `ip netns` to give nodes their own network namespaces")


def rest(n):
    return f"http://{SUBNET}.{n}:8080"


def teardown_network():
    for n in NODES:
        sh("ip", "netns", "del", f"shoal-n{n}", check=False)
        sh("ip", "link", "del", f"shv{n}", check=False)
    sh("ip", "link", "del", BRIDGE, check=False)


def setup_network():
    teardown_network()
    sh("ip", "link", "add", BRIDGE, "type", "bridge")
    sh("ip", "addr", "add", f"{SUBNET}.254/24", "dev", BRIDGE)
    sh("ip", "link", "set", BRIDGE, "up")
    for n in NODES:
        ns = f"shoal-n{n}"
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", f"shv{n}", "type", "veth", "peer", "name", f"shp{n}")
        sh("ip", "link", "set", f"shp{n}", "netns", ns)
        sh("ip", "link", "set", f"shv{n}", "master", BRIDGE)
        sh("ip", "link", "set", f"shv{n}", "up")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{SUBNET}.{n}/24", "dev", f"shp{n}")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", f"shp{n}", "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")


@pytest.fixture(scope="module")
def namespaced():
    subprocess.run([str(ROOT / "cluster" / "down"), "--clean"], check=True, cwd=ROOT)
    if os.environ.get("SHOAL_SKIP_BUILD") != "1":
        subprocess.run(["swift", "build", "--product", "shoal"], check=True, cwd=ROOT)
    setup_network()
    processes = {}
    env = dict(os.environ, **FAST)

    def start(n):
        data = RUN / f"netns-node{n}"
        data.mkdir(parents=True, exist_ok=True)
        args = [str(BINARY), "start", "--name", f"node{n}", "--data-dir", str(data), "--zone", f"z{n}",
                "--rest", f"{SUBNET}.{n}:8080", "--bind", f"{SUBNET}.{n}:7000"]
        if n != 1:
            args += ["--join", f"{SUBNET}.1:7000", "--secret-file", str(RUN / "netns-node1" / "cluster.secret")]
        log = open(RUN / f"netns-node{n}.log", "ab")
        processes[n] = subprocess.Popen(["ip", "netns", "exec", f"shoal-n{n}", *args], stdout=log, stderr=log, env=env)
        wait_until(f"node{n} healthy", lambda: get_json(f"{rest(n)}/cluster"), 60)

    try:
        for n in NODES:
            start(n)
        wait_until("three devices everywhere", lambda: all(len(get_json(f"{rest(n)}/cluster")["ring"]["devices"]) == 3
                                                           for n in NODES), 60)
        exports = sh(str(BINARY), "credentials", "--url", rest(1), "--secret-file",
                     str(RUN / "netns-node1" / "cluster.secret")).stdout
        creds = {}
        for line in exports.splitlines():
            if line.startswith("export "):
                name, _, value = line[len("export "):].partition("=")
                creds[name] = value.strip('"')
        yield creds
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        teardown_network()
        print_log_tails("netns-node*.log", lines=10)


def connect(creds, n):
    return swift_client.Connection(authurl=f"{rest(n)}/auth/v1.0", user=creds["ST_USER"], key=creds["ST_KEY"],
                                   retries=0, timeout=10)


def node_members(n):
    return {m["id"]: m["status"] for m in get_json(f"{rest(n)}/cluster")["members"]}


def test_a_node_cut_off_under_load_loses_nothing(namespaced):
    creds = namespaced
    for n in NODES:
        wait_until(f"node{n} authenticates", lambda: connect(creds, n).get_auth(), 30)
    connect(creds, 1).put_container("cut")
    cut = threading.Event()
    # Clients reach the majority side; node3 is reached too unless it is cut off.
    load = Load("cut", lambda n: connect(creds, n), lambda: [1, 2] if cut.is_set() else list(NODES), workers=8, prefix="p")
    try:
        load.wait_for_more(100, "before the cut")
        cut.set()
        sh("ip", "link", "set", "shv3", "down")
        wait_until("node1 and node2 hold node3 dead", lambda: all(node_members(n).get("node3") == "dead" for n in (1, 2)), 60)
        load.wait_for_more(100, "on the majority side while node3 is cut off")
        sh("ip", "link", "set", "shv3", "up")
        healed = time.monotonic()
        cut.clear()
        wait_until("node3 alive everywhere again",
                   lambda: all(set(node_members(n).values()) == {"alive"} for n in NODES), 60)
        rejoined = time.monotonic() - healed
        load.wait_for_more(50, "after the heal")
    finally:
        load.stop()
    acked, failed = load.acked, [load.failed]
    load_end = time.monotonic()

    def converged():
        counts = replica_counts_in(range(1, 4))
        return len(counts) >= len(acked) and all(c == 3 for c in counts.values())
    wait_until("every object on all three devices", converged, 120)
    repaired = time.monotonic() - load_end
    for n in NODES:
        conn = connect(creds, n)
        for name, digest in acked.items():
            assert hashlib.md5(conn.get_object("cut", name)[1]).hexdigest() == digest, f"{name} via node{n}"
    wait_until("node3's listing shows every acknowledged object",
               lambda: set(acked) <= {e["name"] for e in connect(creds, 3).get_container("cut", full_listing=True)[1]}, 60)
    print(f"\npartition: {len(acked)} acked writes, {failed[0]} failed (not acked), lost 0; node3 rejoined "
          f"{rejoined:.1f} s after the heal; fully replicated {repaired:.1f} s after the load ended")


def replica_counts_in(nodes):
    counts = {}
    for n in nodes:
        for path in (RUN / f"netns-node{n}" / "devices").glob("d*/objects/*/*/*.data"):
            hash_ = path.name.split("-", 1)[0]  # <hash>-<timestamp>.data
            counts[hash_] = counts.get(hash_, 0) + 1
    return counts
