"""Durability with real processes: nodes killed -9 under load, bytes rotting on disk, nodes
joining and draining away. Every acknowledged write must survive and end up with exactly
three replicas. Each test prints its figures (acked, lost, repair and move times)."""
import hashlib
import os
import random
import signal
import subprocess
import threading
import time

import pytest
from swiftclient import client as swift_client
from swiftclient.exceptions import ClientException

from conftest import ROOT, RUN, Cluster, environment, fresh_cluster, get_json, pid_alive, wait_until
from test_object_storage import metric, openrc

# Fast background work so repairs are observable within the tests' bounds.
FAST = {"SHOAL_REPLICATION_INTERVAL": "1", "SHOAL_AUDIT_INTERVAL": "1", "SHOAL_AUDIT_FILES_PER_SECOND": "1000",
        "SHOAL_PART_POWER": "8"}


def connect(url):
    rc = openrc()
    return swift_client.Connection(authurl=f"{url}/auth/v1.0", user=rc["ST_USER"], key=rc["ST_KEY"], retries=0, timeout=10)


def data_files(node):
    """{object hash: .data file} on node N's device."""
    found = {}
    for path in (RUN / f"node{node}" / "devices").glob("d*/objects/*/*/*.data"):
        found[path.name.split("-", 1)[0]] = path  # <hash>-<timestamp>.data
    return found


def replica_counts(nodes):
    counts = {}
    for node in nodes:
        for name in data_files(node):
            counts[name] = counts.get(name, 0) + 1
    return counts


def alive(cluster, nodes):
    for n in nodes:
        members = cluster.status(n)["members"]
        if sorted(m["id"] for m in members if m["status"] == "alive") != sorted(f"node{m}" for m in nodes):
            return False
    return True


def check_everything_reads_back(acked, nodes, container):
    """Every acknowledged object, through every node, with the right MD5."""
    lost = []
    for n in nodes:
        conn = connect(f"http://127.0.0.1:{8079 + n}")
        for name, digest in acked.items():
            try:
                _, body = conn.get_object(container, name)
                if hashlib.md5(body).hexdigest() != digest:
                    lost.append((n, name, "bad md5"))
            except ClientException as error:
                lost.append((n, name, error.http_status))
    return lost


def wait_ready(cluster, nodes):
    """Every node's ring has every device, and every node authenticates the admin."""
    wait_until(f"{len(nodes)} devices everywhere",
               lambda: all(len(cluster.status(n)["ring"]["devices"]) == len(nodes) for n in nodes), 60)
    for n in nodes:
        wait_until(f"node{n} authenticates", lambda: connect(cluster.urls[n - 1]).get_auth(), 30)


@pytest.fixture(scope="module")
def durable():
    with environment(FAST), fresh_cluster(3) as cluster:
        wait_ready(cluster, [1, 2, 3])
        yield cluster


def restart(cluster, n):
    cluster.start_node(n)


class Load:
    """`workers` threads PUT 4 KiB objects through the nodes `targets()` allows, each write
    through a connection made by `connect_node(n)`; `acked` maps each acknowledged name to
    its MD5, `failed` counts writes that were not acknowledged."""

    def __init__(self, container, connect_node, targets, workers, prefix="w"):
        self.acked, self.failed = {}, 0
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self.writer, args=(w, container, connect_node, targets, prefix))
                        for w in range(workers)]
        for thread in self.threads:
            thread.start()

    def writer(self, worker, container, connect_node, targets, prefix):
        rng = random.Random(worker)
        conns = {}
        sequence = 0
        while not self.stop_event.is_set():
            n = rng.choice(targets())
            name = f"{prefix}{worker}-{sequence}"
            sequence += 1
            body = rng.randbytes(4096)
            try:
                conn = conns.get(n) or conns.setdefault(n, connect_node(n))
                digest = hashlib.md5(body).hexdigest()
                assert conn.put_object(container, name, body) == digest
                with self.lock:
                    self.acked[name] = digest
            except Exception:
                conns.pop(n, None)
                with self.lock:
                    self.failed += 1

    def count(self):
        with self.lock:
            return len(self.acked)

    def wait_for_more(self, writes, what):
        """Waits (bounded) until `writes` more writes have been acknowledged."""
        target = self.count() + writes
        wait_until(f"{writes} more acknowledged writes {what}", lambda: self.count() >= target, 60)

    def stop(self):
        self.stop_event.set()
        for thread in self.threads:
            thread.join()


def test_kill_nine_under_load_loses_no_acknowledged_write(durable):
    container = "load"
    connect(durable.urls[0]).put_container(container)
    down = set()
    load = Load(container, lambda n: connect(f"http://127.0.0.1:{8079 + n}"),
                lambda: [n for n in (1, 2, 3) if n not in down], workers=16)
    started = time.monotonic()
    try:
        for victim in (2, 3):
            load.wait_for_more(150, "before the next kill")
            down.add(victim)
            pid = durable.pid(victim)
            os.kill(pid, signal.SIGKILL)
            wait_until(f"node{victim}'s process to be gone", lambda: not pid_alive(pid), 30)
            load.wait_for_more(100, f"with node{victim} killed")
            restart(durable, victim)
            down.discard(victim)
        load.wait_for_more(150, "after both restarts")
    finally:
        load.stop()
    acked, failed = load.acked, [load.failed]
    load_end = time.monotonic()
    wait_until("all three alive everywhere", lambda: alive(durable, [1, 2, 3]), 60)

    lost = check_everything_reads_back(acked, [1, 2, 3], container)
    assert lost == [], f"{len(lost)} acknowledged objects lost or damaged: {lost[:10]}"

    # After replication every stored object has exactly one replica on each of the three devices.
    def fully_replicated():
        counts = replica_counts([1, 2, 3])
        return len(counts) >= len(acked) and all(count == 3 for count in counts.values())
    wait_until("every object on all three devices", fully_replicated, 120)
    repaired = time.monotonic() - load_end
    listed = {entry["name"] for entry in connect(durable.urls[0]).get_container(container, full_listing=True)[1]}
    wait_until("the listing shows every acknowledged object",
               lambda: set(acked) <= {e["name"] for e in connect(durable.urls[0]).get_container(container, full_listing=True)[1]},
               60)
    print(f"\nkill -9 under load: {len(acked)} acked writes in {load_end - started:.1f} s, {failed[0]} failed "
          f"(not acked), lost 0, fully replicated {repaired:.1f} s after the load ended ({len(listed)} listed at first look)")


def test_a_rotten_replica_is_never_served_and_is_restored(durable):
    conn = connect(durable.urls[0])
    conn.put_container("rot")
    bodies = {name: os.urandom(4096) for name in ("read-me", "audit-me")}
    before = {n: set(data_files(n)) for n in (2, 3)}
    for name, body in bodies.items():
        conn.put_object("rot", name, body)
    wait_until("the new replicas on disk", lambda: all(len(set(data_files(n)) - before[n]) >= 2 for n in (2, 3)), 30)

    def damage(node, body):
        for name in set(data_files(node)) - before[node]:
            path = data_files(node)[name]
            content = path.read_bytes()
            if content.endswith(body):
                flipped = bytearray(content)
                flipped[-100] ^= 0x01
                path.write_bytes(bytes(flipped))
                return name, path
        pytest.fail(f"no replica of the body on node{node}")

    read_hash, read_path = damage(2, bodies["read-me"])
    audit_hash, audit_path = damage(3, bodies["audit-me"])
    started = time.monotonic()
    # Through node 2 (which reads its own replica first): never the damaged bytes.
    node2 = connect(durable.urls[1])
    for _ in range(5):
        assert node2.get_object("rot", "read-me")[1] == bodies["read-me"]
    # The read moved the bad replica aside, and node2's /metrics counts it.
    assert metric(durable.urls[1], "shoal_object_store_quarantined_total") >= 1

    def restored(node, object_hash, body):
        path = data_files(node).get(object_hash)
        return path is not None and path.read_bytes().endswith(body)
    quarantine = RUN / "node3" / "devices" / "d0" / "quarantined" / "objects"
    wait_until("the auditor quarantines the rotten replica on node3",
               lambda: (quarantine / audit_hash).is_dir(), 60)
    wait_until("node3's /metrics counts it",
               lambda: metric(durable.urls[2], "shoal_object_store_quarantined_total") >= 1, 10)
    wait_until("node2's replica restored", lambda: restored(2, read_hash, bodies["read-me"]), 60)
    wait_until("node3's replica restored", lambda: restored(3, audit_hash, bodies["audit-me"]), 60)
    repaired = time.monotonic() - started
    for n in (1, 2, 3):
        for name, body in bodies.items():
            assert connect(durable.urls[n - 1]).get_object("rot", name)[1] == body
    print(f"\nbit rot: 2 damaged replicas quarantined (one by a GET, one by the auditor), "
          f"both restored {repaired:.1f} s after the damage, 0 corrupt reads")


def ring_counts(cluster, n):
    return {d["id"]: d["partitions"] for d in cluster.status(n)["ring"]["devices"]}


def test_nodes_join_and_drain_away_with_nothing_lost(durable):
    conn = connect(durable.urls[0])
    conn.put_container("move")
    acked = {}
    for index in range(300):
        body = os.urandom(4096)
        conn.put_object("move", f"m{index}", body)
        acked[f"m{index}"] = hashlib.md5(body).hexdigest()
    wait_until("every object on all three devices",
               lambda: sum(1 for c in replica_counts([1, 2, 3]).values() if c == 3) >= len(acked), 60)
    before = ring_counts(durable, 1)

    failures, reads = [], [0]
    stop = threading.Event()

    def reader():
        rng = random.Random(5)
        names = list(acked)
        while not stop.is_set():
            name = rng.choice(names)
            try:
                _, body = connect(durable.urls[0]).get_object("move", name)
                if hashlib.md5(body).hexdigest() != acked[name]:
                    failures.append((name, "bad md5"))
            except Exception as error:
                failures.append((name, str(error)[:80]))
            reads[0] += 1

    thread = threading.Thread(target=reader)
    thread.start()
    started = time.monotonic()
    try:
        for n in (4, 5):
            restart(durable, n)
        big = Cluster(5)
        wait_until("five devices in every node's ring",
                   lambda: all(len(big.status(n)["ring"]["devices"]) == 5 for n in range(1, 6)), 60)
        # The two joins are staged: the newcomers are "joining" and each partition moves
        # at most one replica at a time (the ring checks that; here we see it happen).
        seen = {"joining": set(), "moving": 0}

        def replication(n):
            return get_json(f"http://127.0.0.1:{8079 + n}/cluster/replication")

        def settled():
            # Every node's view, not node 1's alone: one node can settle a moment before
            # another has heard of the last state change.
            rings = [big.status(n)["ring"] for n in range(1, 6)]
            seen["moving"] = max(seen["moving"], *(r["moving"] for r in rings))
            seen["joining"] |= {d["id"] for r in rings for d in r["devices"] if d["state"] == "joining"}
            if len({r["checksum"] for r in rings}) != 1 or any(
                    r["moving"] or len(r["devices"]) != 5 or any(d["state"] != "active" for d in r["devices"])
                    for r in rings):
                return False
            # Only passes that start after the last join turned active count.
            if "baseline" not in seen:
                seen["baseline"] = {n: replication(n)["passes"] for n in range(1, 6)}
            counts = replica_counts(range(1, 6))
            if len(counts) < len(acked) or any(c != 3 for c in counts.values()):
                return False
            reports = {n: replication(n) for n in range(1, 6)}
            return all(r["passes"] >= seen["baseline"][n] + 2 and r["pending_handoffs"] == 0 for n, r in reports.items())
        wait_until("the joins settled: both devices active, three replicas each", settled, 240)
        moved_seconds = time.monotonic() - started
        after = ring_counts(big, 1)
        rings = {n: big.status(n)["ring"] for n in range(1, 6)}
        assert all(len(r["devices"]) == 5 and r["moving"] == 0 for r in rings.values()), \
            f"a ring moved again after settling: {[(n, r['version'], r['moving']) for n, r in rings.items()]}"
    finally:
        stop.set()
        thread.join()
    assert failures == [], f"{len(failures)} of {reads[0]} reads failed during the move: {failures[:5]}"
    new_devices = [d for d in after if d not in before]
    minimum = sum(after[d] for d in new_devices)
    moved = sum(max(0, after[d] - before.get(d, 0)) for d in after)
    assert moved <= 1.05 * minimum, f"moved {moved} partition-replicas, minimum {minimum}"
    assert all(data_files(n) for n in (4, 5)), "the new nodes received no data"
    assert seen["moving"] > 0 and len(seen["joining"]) >= 1, f"no staged move was seen: {seen}"

    # Drain node 5 away: its data moves, then it leaves and stops by itself.
    node5 = big.pid(5)
    drain_started = time.monotonic()
    subprocess.run([str(ROOT / ".build" / os.environ.get("SHOAL_CONFIGURATION", "debug") / "shoal"), "remove", "node5",
                    "--cluster", "127.0.0.1:7000", "--secret-file", str(RUN / "node1" / "cluster.secret")],
                   check=True, cwd=ROOT, timeout=30)

    wait_until("node5 drained and stopped", lambda: not pid_alive(node5), 180)
    drained_seconds = time.monotonic() - drain_started
    (RUN / "node5.pid").unlink(missing_ok=True)
    assert not data_files(5), "node5 left with data on it"
    wait_until("every object has three replicas on nodes 1-4",
               lambda: (lambda c: len(c) >= len(acked) and all(v == 3 for v in c.values()))(replica_counts(range(1, 5))), 120)
    lost = check_everything_reads_back(acked, [1, 4], "move")
    assert lost == [], f"lost after the drain: {lost[:5]}"
    print(f"\njoin 4th+5th: {len(acked)} objects, {reads[0]} reads during the move, 0 failed; moved {moved} "
          f"partition-replicas (minimum {minimum}, ratio {moved / max(1, minimum):.3f}); at most {seen['moving']} partitions "
          f"moving one replica at once; settled (both active) in {moved_seconds:.1f} s. "
          f"drain of node5: stopped after {drained_seconds:.1f} s, 0 lost")
