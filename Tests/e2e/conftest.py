"""Fixtures for end-to-end tests: real shoal processes on loopback, started by cluster/up."""
import contextlib
import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "cluster" / "run"


def get_json(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def wait_until(what, condition, timeout):
    """Polls `condition` until it returns a truthy value; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # a node still starting or just killed
            last_error = error
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


class Cluster:
    def __init__(self, count):
        self.count = count
        self.urls = [f"http://127.0.0.1:{8080 + i}" for i in range(count)]

    def pid(self, n):
        return int((RUN / f"node{n}.pid").read_text())

    def status(self, n):
        return get_json(f"{self.urls[n - 1]}/cluster")

    def start_node(self, n):
        subprocess.run([str(ROOT / "cluster" / "node"), str(n)], check=True, cwd=ROOT)


def pid_alive(pid):
    """Whether a process runs; a zombie (exited, not yet reaped) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def print_log_tails(pattern="node*.log", lines=15):
    for log in sorted(RUN.glob(pattern)):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- {log.name} (last lines) ---")
        print("\n".join(tail))


@contextlib.contextmanager
def environment(values):
    """Sets environment variables (inherited by the nodes started meanwhile), then restores them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def fresh_cluster(count):
    """cluster/up COUNT on clean data folders; stops the nodes and prints their log tails afterwards."""
    subprocess.run([str(ROOT / "cluster" / "down"), "--clean"], check=True, cwd=ROOT)
    subprocess.run([str(ROOT / "cluster" / "up"), str(count)], check=True, cwd=ROOT)
    try:
        yield Cluster(count)
    finally:
        subprocess.run([str(ROOT / "cluster" / "down")], check=False, cwd=ROOT)
        print_log_tails()


@pytest.fixture(scope="module")
def cluster3():
    with fresh_cluster(3) as cluster:
        yield cluster


def openrc():
    """The admin credentials cluster/up wrote to cluster/run/openrc (ST_* and OS_*)."""
    env = {}
    for line in (RUN / "openrc").read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            env[name] = value.strip('"')
    return env
