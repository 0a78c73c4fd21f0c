"""Three real nodes find each other, agree on one ring, notice a kill -9, and take the node back."""
import os
import signal
import time

from conftest import wait_until


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
