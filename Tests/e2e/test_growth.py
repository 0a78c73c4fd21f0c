"""A cluster that grows from one node: what was written before the others joined has one
replica until the replicators copy it, and must behave as written meanwhile."""
import collections
import os

from swiftclient import client as swift_client
from swiftclient.exceptions import ClientException

from conftest import RUN, Cluster, fresh_cluster, get_json, wait_until
from test_object_storage import openrc


def connect(url):
    rc = openrc()
    return swift_client.Connection(authurl=f"{url}/auth/v1.0", user=rc["ST_USER"], key=rc["ST_KEY"], retries=0, timeout=10)


def data_file_count(node):
    """The .data files on node N's devices (its objects and the identity store's)."""
    return sum(1 for _ in (RUN / f"node{node}" / "devices").glob("d*/objects/*/*/*.data"))


def test_objects_written_on_one_node_delete_with_204_after_two_more_join():
    with fresh_cluster(1) as one:
        conn = connect(one.urls[0])
        conn.put_container("grow")
        names = [f"g{index}" for index in range(200)]
        for name in names:
            conn.put_object("grow", name, os.urandom(1024))
        for n in (2, 3):
            one.start_node(n)
        three = Cluster(3)
        wait_until("three devices in every node's ring",
                   lambda: all(len(three.status(n)["ring"]["devices"]) == 3 for n in (1, 2, 3)), 60)
        # Each object has one replica until node 1's replicator copies it (its next pass, up to
        # ten seconds away), and the container one database: reads through the new nodes find
        # them on node 1, and most DELETEs below find each object there and nothing elsewhere.
        copies = {n: data_file_count(n) for n in (2, 3)}
        for n in (2, 3):
            node = connect(three.urls[n - 1])
            assert [row["name"] for row in node.get_container("grow", full_listing=True)[1]] == sorted(names)
            for name in names[:5]:
                assert int(node.head_object("grow", name)["content-length"]) == 1024
        statuses = collections.Counter()
        for name in names:
            try:
                conn.delete_object("grow", name)
                statuses[204] += 1
            except ClientException as error:
                statuses[error.http_status] += 1
        print(f"\n.data files on nodes 2 and 3 when the DELETEs began: {copies}; DELETE statuses {dict(statuses)}")
        assert statuses == {204: len(names)}

        # Gone through every node, and still gone once the replicators have run: nothing
        # written before the growth comes back.
        def gone_everywhere():
            for n in (1, 2, 3):
                node = connect(three.urls[n - 1])
                for name in names[::10]:
                    try:
                        node.head_object("grow", name)
                        return False
                    except ClientException as error:
                        if error.http_status != 404:
                            return False
            return True

        assert gone_everywhere()
        baseline = {n: passes(three, n) for n in (1, 2, 3)}
        wait_until("two more replication passes on every node",
                   lambda: all(passes(three, n) >= baseline[n] + 2 for n in (1, 2, 3)), 90)
        assert gone_everywhere()
        wait_until("an empty listing through every node",
                   lambda: all(connect(three.urls[n - 1]).get_container("grow")[1] == [] for n in (1, 2, 3)), 60)



def passes(cluster, n):
    """Object replication passes node N has finished since it started."""
    return get_json(f"{cluster.urls[n - 1]}/cluster/replication")["passes"]
