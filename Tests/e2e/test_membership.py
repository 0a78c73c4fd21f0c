"""Three real nodes find each other, agree on one ring, notice a kill -9, and take the node back."""
import json
import os
import signal
import subprocess
import time

from conftest import ROOT, RUN, pid_alive, wait_until


def alive_view(cluster, n):
    """(set of alive member ids, ring checksum) as node n sees the cluster."""
    status = cluster.status(n)
    alive = {m["id"] for m in status["members"] if m["status"] == "alive"}
    return alive, status["ring"]["checksum"]


def converged(cluster, nodes, expected_alive):
    views = [alive_view(cluster, n) for n in nodes]
    checksums = {checksum for _, checksum in views}
    return all(alive == expected_alive for alive, _ in views) and len(checksums) == 1


def test_three_nodes_converge_detect_death_and_rejoin(cluster3):
    everyone = {"node1", "node2", "node3"}
    started = time.monotonic()
    wait_until("three nodes alive with one ring checksum", lambda: converged(cluster3, [1, 2, 3], everyone), 60)
    print(f"converged {time.monotonic() - started:.2f}s after cluster/up returned")

    status = cluster3.status(1)
    assert status["ring"]["replicas"] == 3
    assert {d["node"] for d in status["ring"]["devices"]} == everyone
    assert {m["zone"] for m in status["members"]} == {"z1", "z2", "z3"}
    # With three devices in three zones and three replicas, every device holds every partition.
    partitions = 2 ** status["ring"]["part_power"]
    assert all(d["partitions"] == partitions for d in status["ring"]["devices"])

    os.kill(cluster3.pid(3), signal.SIGKILL)
    killed = time.monotonic()

    def node3_dead_everywhere():
        return all(
            any(m["id"] == "node3" and m["status"] == "dead" for m in cluster3.status(n)["members"]) for n in (1, 2)
        )

    wait_until("node1 and node2 to declare node3 dead", node3_dead_everywhere, 30)
    print(f"node3 declared dead by both survivors {time.monotonic() - killed:.2f}s after kill -9")
    # A failure moves nothing: the ring still holds node3's device.
    assert alive_view(cluster3, 1)[1] == status["ring"]["checksum"]

    cluster3.start_node(3)
    restarted = time.monotonic()
    wait_until("node3 to rejoin", lambda: converged(cluster3, [1, 2, 3], everyone), 60)
    print(f"node3 rejoined {time.monotonic() - restarted:.2f}s after its restart returned")
    assert alive_view(cluster3, 3)[1] == status["ring"]["checksum"]


def test_status_cli_and_remove(cluster3):
    everyone = {"node1", "node2", "node3"}
    wait_until("three nodes alive with one ring checksum", lambda: converged(cluster3, [1, 2, 3], everyone), 60)
    table = subprocess.run([str(ROOT / "cluster" / "status")], check=True, capture_output=True, text=True, cwd=ROOT).stdout
    assert "Members: 3 (3 alive)" in table
    assert cluster3.status(1)["ring"]["checksum"][:16] in table
    as_json = json.loads(
        subprocess.run([str(ROOT / "cluster" / "status"), "--json"], check=True, capture_output=True, text=True, cwd=ROOT).stdout
    )
    assert {m["id"] for m in as_json["members"]} == everyone

    node3 = cluster3.pid(3)
    shoal = ROOT / ".build" / os.environ.get("SHOAL_CONFIGURATION", "debug") / "shoal"
    removed = subprocess.run(
        # --now: removed at once (draining is tested in test_durability.py).
        [str(shoal), "remove", "node3", "--now", "--cluster", "127.0.0.1:7001", "--secret-file", str(RUN / "node1" / "cluster.secret")],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout
    assert "removed node3" in removed

    def ring_without_node3():
        for n in (1, 2):
            status = cluster3.status(n)
            if {d["node"] for d in status["ring"]["devices"]} != {"node1", "node2"}:
                return False
            if next(m["status"] for m in status["members"] if m["id"] == "node3") != "left":
                return False
        return True

    wait_until("node3 out of the ring and left on both others", ring_without_node3, 30)
    # The removed node notices and shuts itself down.
    wait_until("node3's process to exit", lambda: not pid_alive(node3), 30)
    # Its partitions moved to the two remaining devices (2 replicas' worth each now: every partition on both).
    devices = cluster3.status(1)["ring"]["devices"]
    assert all(d["partitions"] == 2 ** cluster3.status(1)["ring"]["part_power"] for d in devices)

    wrong = subprocess.run(
        [str(shoal), "remove", "node2", "--cluster", "127.0.0.1:7000"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "SHOAL_CLUSTER_SECRET": "shoal1:" + "ab" * 32},
    )
    assert wrong.returncode != 0, "a wrong secret must not remove anything"
    assert {d["node"] for d in cluster3.status(1)["ring"]["devices"]} == {"node1", "node2"}
