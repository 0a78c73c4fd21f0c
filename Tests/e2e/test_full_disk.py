"""A full disk: one node's device runs out of space under writes. It answers 507, the
proxies send the writes to handoffs instead, replication gives a handoff whatever else the
full device refuses, every acknowledged object stays readable with three replicas, and
nothing partial or corrupt is left on the full device."""
import hashlib
import os
import re
import subprocess

import pytest

from conftest import ROOT, RUN, Cluster, environment, fresh_cluster, wait_until
from test_durability import FAST, connect, data_files, replica_counts, wait_ready

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a small tmpfs as node4's disk")


@pytest.fixture(scope="module")
def four_with_small_disk():
    mount = RUN / "node4"
    with environment(FAST), fresh_cluster(3):
        mount.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True)
        try:
            cluster = Cluster(4)
            cluster.start_node(4)
            wait_ready(cluster, [1, 2, 3, 4])
            yield cluster, mount
        finally:
            subprocess.run([str(ROOT / "cluster" / "down")], check=False, cwd=ROOT)
            subprocess.run(["umount", str(mount)], check=False)


def made_by_this_test(digest, cache={}):
    """Whether an object hash is one of this test's objects (`full/f<n>`), read from its .data."""
    if digest not in cache:
        for n in range(1, 5):
            path = data_files(n).get(digest)
            if path is not None:
                cache[digest] = b"/AUTH_admin/full/f" in path.read_bytes()[:4096]
                break
    return cache.get(digest, False)


def names_of(hashes):
    """The object paths of some object hashes, read from any node's .data file (for messages)."""
    names = []
    for n in range(1, 5):
        for digest, path in data_files(n).items():
            if digest in hashes:
                found = re.search(rb"/(?:AUTH_admin/full/f\d+|\.shoal_identity/[a-z_]+/[0-9a-f]{8})", path.read_bytes()[:4096])
                names.append(found.group(0).decode() if found else digest)
                hashes = hashes - {digest}
    return sorted(names) + sorted(hashes)


def test_a_full_device_answers_507_and_writes_go_to_handoffs(four_with_small_disk):
    cluster, mount = four_with_small_disk
    conn = connect(cluster.urls[0])
    conn.put_container("full")
    # Fill node4's disk to the last byte. Unbuffered: a buffered file would try to write
    # what ENOSPC left in its buffer again when it closes, and raise there.
    filler = mount / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * (1 << 16))
        except OSError:
            pass
    acked = {}
    for index in range(60):
        body = os.urandom(16 * 1024)
        etag = conn.put_object("full", f"f{index}", body)
        assert etag == hashlib.md5(body).hexdigest()
        acked[f"f{index}"] = etag
    log = (RUN / "node4.log").read_text(errors="replace")
    assert "insufficient storage" in log, "node4 never answered 507"
    # Every object reads back, through every node.
    for n in range(1, 5):
        node = connect(cluster.urls[n - 1])
        for name, digest in acked.items():
            assert hashlib.md5(node.get_object("full", name)[1]).hexdigest() == digest
    # Three replicas each once replication has settled: a handoff stands in for node4 for
    # every object it should hold but could not take — writes that went to a handoff after
    # its first 507, the write that got that 507, and the cluster's own records the primaries
    # pushed to it while full. No object of any kind has two copies or a fourth.
    def settled():
        counts = replica_counts(range(1, 5))
        ours = [digest for digest in counts if made_by_this_test(digest)]
        if len(ours) == len(acked) and all(count == 3 for count in counts.values()):
            return True
        copies = {n: sum(1 for c in counts.values() if c == n) for n in sorted(set(counts.values()))}
        odd = names_of({digest for digest, count in counts.items() if count != 3})
        raise AssertionError(f"{len(counts)} objects ({len(ours)} of this test's); how many have n copies: {copies}; "
                             f"not three: {odd}")
    wait_until("three replicas per object (handoffs for the full device)", settled, 60)
    counts = replica_counts(range(1, 5))
    # Nothing partial on the full device: no temporary files, and every .data it has is whole.
    device = mount / "devices" / "d0"
    # Replication keeps trying to push to the full device, so a temporary file may exist for
    # an instant; none may stay (in tmp/, or beside an object's versions).
    def temporaries():
        return list((device / "tmp").glob("*")) + list((device / "objects").rglob(".tmp-*"))
    wait_until("no temporary file left on the full device", lambda: not temporaries(), 30)
    bodies = set(acked.values())
    for path in data_files(4).values():
        content = path.read_bytes()
        if b"/full/f" not in content[:4096]:
            continue  # the cluster's own records (the identity bootstrap), not this test's objects
        assert hashlib.md5(content[-16 * 1024:]).hexdigest() in bodies, f"{path} is not a whole acknowledged object"
    print(f"\nfull disk: {len(acked)} acked writes, 0 lost; node4 answered 507 and holds {len(data_files(4))} whole "
          f"objects, no partial files; all {len(counts)} objects with three replicas")
