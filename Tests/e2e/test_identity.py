"""The Identity v3 API on a real three-node cluster, driven by the unmodified `openstack` CLI
(python-openstackclient), openstacksdk and plain HTTP for the negative cases."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import environment, openrc, pid_alive, wait_until

OPENSTACK = Path(sys.prefix) / "bin" / "openstack"


def admin_env(node=1):
    rc = openrc()
    env = {k: v for k, v in rc.items() if k.startswith("OS_")}
    env["OS_AUTH_URL"] = f"http://127.0.0.1:{8079 + node}/identity/v3"
    return env


def openstack(*args, env, check=True, cwd=None):
    full = dict(os.environ)
    full.update(env)
    result = subprocess.run([str(OPENSTACK), *args], env=full, capture_output=True, text=True, timeout=120, cwd=cwd)
    if check and result.returncode != 0:
        raise AssertionError(f"openstack {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result


def http(method, url, body=None, headers=None):
    """(status, headers, parsed JSON body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, response.headers, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, error.headers, (json.loads(raw) if raw.startswith(b"{") else raw)


def login(node, user, password, project, domain="Default"):
    status, headers, body = http("POST", f"http://127.0.0.1:{8079 + node}/identity/v3/auth/tokens", {
        "auth": {"identity": {"methods": ["password"], "password": {"user": {"name": user, "domain": {"name": domain}, "password": password}}},
                 "scope": {"project": {"name": project, "domain": {"name": domain}}}}})
    return status, headers.get("X-Subject-Token"), body


@pytest.fixture(scope="module")
def identity3(cluster3):
    def ready():
        return all(len(cluster3.status(n)["ring"]["devices"]) == 3 for n in (1, 2, 3))
    wait_until("a ring with three devices on every node", ready, 60)
    password = admin_env()["OS_PASSWORD"]
    for node in (1, 2, 3):
        wait_until(f"node{node} logs the admin in", lambda: login(node, "admin", password, "admin")[0] == 201, 60)
    return cluster3


def test_openstack_cli_end_to_end(identity3, tmp_path):
    admin = admin_env(1)
    issued = json.loads(openstack("token", "issue", "-f", "json", env=admin).stdout)
    assert issued["id"].startswith("gAAAA") and issued["project_id"] and issued["user_id"]
    catalog = json.loads(openstack("catalog", "list", "-f", "json", env=admin).stdout)
    assert {entry["Type"] for entry in catalog} >= {"identity", "object-store", "image", "compute"}
    object_store = next(entry for entry in catalog if entry["Type"] == "object-store")
    assert f"/v1/AUTH_{issued['project_id']}" in json.dumps(object_store["Endpoints"])

    project = json.loads(openstack("project", "create", "e2e-demo", "-f", "json", env=admin).stdout)
    assert project["name"] == "e2e-demo" and project["domain_id"] == "default"
    user = json.loads(openstack("user", "create", "--password", "s3cret-e2e", "--project", "e2e-demo", "e2e-alice",
                                "-f", "json", env=admin).stdout)
    assert user["default_project_id"] == project["id"]
    openstack("role", "add", "--project", "e2e-demo", "--user", "e2e-alice", "member", env=admin)
    assignments = json.loads(openstack("role", "assignment", "list", "--project", "e2e-demo", "--names", "-f", "json", env=admin).stdout)
    assert [(a["Role"], a["User"]) for a in assignments] == [("member", "e2e-alice@Default")]

    # The new user logs in through another node at once, and uses the object store.
    alice = dict(admin_env(3), OS_USERNAME="e2e-alice", OS_PASSWORD="s3cret-e2e", OS_PROJECT_NAME="e2e-demo")
    token = json.loads(openstack("token", "issue", "-f", "json", env=alice).stdout)
    assert token["project_id"] == project["id"] and token["user_id"] == user["id"]
    openstack("container", "create", "photos", env=alice)
    (tmp_path / "cat.txt").write_text("meow\n")
    openstack("object", "create", "photos", "cat.txt", env=alice, cwd=tmp_path)
    listed = json.loads(openstack("object", "list", "photos", "-f", "json", env=alice).stdout)
    assert [entry["Name"] for entry in listed] == ["cat.txt"]
    (tmp_path / "cat.txt").unlink()
    openstack("object", "save", "photos", "cat.txt", env=alice, cwd=tmp_path)
    assert (tmp_path / "cat.txt").read_text() == "meow\n"
    openstack("object", "delete", "photos", "cat.txt", env=alice)
    assert json.loads(openstack("object", "list", "photos", "-f", "json", env=alice).stdout) == []

    # Revoking the token: every node refuses it within seconds.
    account = f"http://127.0.0.1:{{port}}/v1/AUTH_{project['id']}"
    assert all(http("HEAD", account.format(port=8079 + n), headers={"X-Auth-Token": token["id"]})[0] == 204 for n in (1, 2, 3))
    openstack("token", "revoke", token["id"], env=alice)
    started = time.monotonic()
    for n in (1, 2, 3):
        wait_until(f"node{n} refuses the revoked token",
                   lambda: http("HEAD", account.format(port=8079 + n), headers={"X-Auth-Token": token["id"]})[0] == 401, 10)
    print(f"\nrevocation reached all 3 nodes in {time.monotonic() - started:.2f} s")
    status, _, body = http("GET", "http://127.0.0.1:8081/identity/v3/auth/tokens",
                           headers={"X-Auth-Token": issued["id"], "X-Subject-Token": token["id"]})
    assert status == 404 and body["error"]["title"] == "Not Found"


def test_application_credentials(identity3):
    admin = admin_env(1)
    openstack("project", "create", "--or-show", "e2e-apps", env=admin)
    openstack("user", "create", "--or-show", "--password", "s3cret-c", "--project", "e2e-apps", "e2e-carol", env=admin)
    openstack("role", "add", "--project", "e2e-apps", "--user", "e2e-carol", "member", env=admin)
    carol = dict(admin_env(2), OS_USERNAME="e2e-carol", OS_PASSWORD="s3cret-c", OS_PROJECT_NAME="e2e-apps")
    created = json.loads(openstack("application", "credential", "create", "backup-job", "-f", "json", env=carol).stdout)
    assert created["Secret"] and created["Name"] == "backup-job"
    assert {role["name"] for role in created["Roles"]} == {"member", "reader"}
    shown = json.loads(openstack("application", "credential", "show", "backup-job", "-f", "json", env=carol).stdout)
    assert not shown.get("Secret"), "the secret is shown only once"

    app = {"OS_AUTH_TYPE": "v3applicationcredential", "OS_AUTH_URL": admin_env(3)["OS_AUTH_URL"],
           "OS_APPLICATION_CREDENTIAL_ID": created["ID"], "OS_APPLICATION_CREDENTIAL_SECRET": created["Secret"],
           "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": "RegionOne"}
    cleared = {k: "" for k in ("OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME")}
    token = json.loads(openstack("token", "issue", "-f", "json", env={**cleared, **app}).stdout)
    project_id = json.loads(openstack("project", "show", "e2e-apps", "-f", "json", env=admin).stdout)["id"]
    assert token["project_id"] == project_id
    openstack("container", "create", "backups", env={**cleared, **app})

    wrong = dict(app, OS_APPLICATION_CREDENTIAL_SECRET="not-the-secret")
    assert openstack("token", "issue", env={**cleared, **wrong}, check=False).returncode != 0
    openstack("application", "credential", "delete", "backup-job", env=carol)
    account = f"http://127.0.0.1:8080/v1/AUTH_{project_id}"
    wait_until("a deleted credential's token is refused",
               lambda: http("HEAD", account, headers={"X-Auth-Token": token["id"]})[0] == 401, 10)
    assert openstack("token", "issue", env={**cleared, **app}, check=False).returncode != 0


def test_groups(identity3):
    admin = admin_env(1)
    openstack("project", "create", "--or-show", "e2e-team", env=admin)
    openstack("user", "create", "--or-show", "--password", "s3cret-d", "e2e-dave", env=admin)
    openstack("group", "create", "e2e-devs", env=admin)
    openstack("role", "add", "--project", "e2e-team", "--group", "e2e-devs", "member", env=admin)
    dave = dict(admin_env(2), OS_USERNAME="e2e-dave", OS_PASSWORD="s3cret-d", OS_PROJECT_NAME="e2e-team")
    assert openstack("token", "issue", env=dave, check=False).returncode != 0, "no role before joining the group"
    openstack("group", "add", "user", "e2e-devs", "e2e-dave", env=admin)
    assert "e2e-dave" in openstack("group", "contains", "user", "e2e-devs", "e2e-dave", env=admin).stdout
    openstack("container", "create", "team-box", env=dave)
    effective = json.loads(openstack("role", "assignment", "list", "--project", "e2e-team", "--effective", "--names",
                                     "-f", "json", env=admin).stdout)
    assert ("member", "e2e-dave@Default") in [(a["Role"], a["User"]) for a in effective]


def test_openstacksdk_object_store_round_trip(identity3):
    import openstack as sdk
    rc = admin_env(2)
    connection = sdk.connect(auth_url=rc["OS_AUTH_URL"], username=rc["OS_USERNAME"], password=rc["OS_PASSWORD"],
                             project_name=rc["OS_PROJECT_NAME"], user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne")
    connection.object_store.create_container(name="sdk-box")
    connection.object_store.upload_object(container="sdk-box", name="note", data=b"from openstacksdk")
    assert connection.object_store.download_object("note", container="sdk-box") == b"from openstacksdk"
    assert [o.name for o in connection.object_store.objects("sdk-box")] == ["note"]
    connection.object_store.delete_object("note", container="sdk-box")
    assert list(connection.object_store.objects("sdk-box")) == []
    assert connection.identity.find_project("admin").name == "admin"


def test_refusals_have_keystones_status_and_body(identity3):
    password = admin_env()["OS_PASSWORD"]
    status, _, body = login(1, "admin", "wrong-password", "admin")
    assert status == 401 and body == {"error": {"code": 401, "title": "Unauthorized",
                                                "message": "The request you have made requires authentication."}}
    status, _, body = http("POST", "http://127.0.0.1:8080/identity/v3/auth/tokens", {"auth": {"identity": {"methods": ["password"]}}})
    assert status == 400 and body["error"]["code"] == 400

    status, admin_token, _ = login(2, "admin", password, "admin")
    assert status == 201
    # A tampered token: the object store says 401, the Identity API 404 for the subject, 401 for the caller.
    tampered = admin_token[:-12] + ("A" if admin_token[-12] != "A" else "B") + admin_token[-11:]
    assert http("GET", "http://127.0.0.1:8080/v1/AUTH_x", headers={"X-Auth-Token": tampered})[0] == 401
    status, _, body = http("GET", "http://127.0.0.1:8080/identity/v3/auth/tokens",
                           headers={"X-Auth-Token": admin_token, "X-Subject-Token": tampered})
    assert status == 404 and body["error"]["message"] == "Could not recognize Fernet token"
    status, headers, _ = http("GET", "http://127.0.0.1:8080/identity/v3/projects", headers={"X-Auth-Token": tampered})
    assert status == 401 and headers["WWW-Authenticate"].startswith("Keystone uri=")

    # A token for project A used on project B's account: 403.
    admin = admin_env(1)
    other = json.loads(openstack("project", "create", "e2e-other", "-f", "json", env=admin).stdout)
    status, _, _ = http("PUT", f"http://127.0.0.1:8080/v1/AUTH_{other['id']}/boxes", headers={"X-Auth-Token": admin_token})
    assert status == 403, "an operator role owns its own project's account only (ResellerAdmin owns all)"
    # ... nor can a member of e2e-demo (from the CLI test, or made here).
    openstack("project", "create", "--or-show", "e2e-demo", env=admin)
    openstack("user", "create", "--or-show", "--password", "s3cret-b", "--project", "e2e-demo", "e2e-bob", env=admin)
    openstack("role", "add", "--project", "e2e-demo", "--user", "e2e-bob", "member", env=admin)
    status, bob_token, _ = login(3, "e2e-bob", "s3cret-b", "e2e-demo")
    assert status == 201
    status, _, _ = http("PUT", f"http://127.0.0.1:8082/v1/AUTH_{other['id']}/intrusion", headers={"X-Auth-Token": bob_token})
    assert status == 403
    # A user with no role on a project cannot scope to it.
    assert login(1, "e2e-bob", "s3cret-b", "e2e-other")[0] == 401
    # A non-admin cannot create projects.
    status, _, body = http("POST", "http://127.0.0.1:8080/identity/v3/projects", {"project": {"name": "nope"}},
                           headers={"X-Auth-Token": bob_token})
    assert status == 403 and body["error"]["title"] == "Forbidden"
    # A duplicate name is a 409.
    status, _, body = http("POST", "http://127.0.0.1:8080/identity/v3/projects", {"project": {"name": "e2e-other"}},
                           headers={"X-Auth-Token": admin_token})
    assert status == 409 and body["error"]["title"] == "Conflict"


def restart_node(cluster, n, env=None):
    """Stops node N gracefully and starts it again (with `env` for its settings)."""
    pid = cluster.pid(n)
    os.kill(pid, signal.SIGTERM)
    wait_until(f"node{n} to stop", lambda: not pid_alive(pid), 60)
    with environment(env or {}):
        cluster.start_node(n)
    password = admin_env()["OS_PASSWORD"]
    wait_until(f"node{n} logs the admin in", lambda: login(n, "admin", password, "admin")[0] == 201, 60)


def test_an_expired_token_is_refused_on_every_node(identity3):
    """Keystone's [token] expiration: node 3 restarted with token_expiration = 10 s issues
    tokens that every node takes until then and refuses afterwards (401 as a caller, 404 as
    the subject of a validation), whatever node checks."""
    password = admin_env()["OS_PASSWORD"]
    restart_node(identity3, 3, {"SHOAL_TOKEN_EXPIRATION": "10"})
    try:
        status, short, body = login(3, "admin", password, "admin")
        assert status == 201
        project_id = body["token"]["project"]["id"]
        issued = body["token"]["issued_at"]
        expires = body["token"]["expires_at"]
        seconds = lambda text: time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
        assert seconds(expires) - seconds(issued) == 10
        _, admin_token, _ = login(1, "admin", password, "admin")

        def validate(node):
            return http("GET", f"http://127.0.0.1:{8079 + node}/identity/v3/auth/tokens",
                        headers={"X-Auth-Token": admin_token, "X-Subject-Token": short})
        assert validate(1)[0] == 200 and validate(2)[0] == 200
        wait_until("node1 refuses the expired token", lambda: validate(1)[0] == 404, 30)
        for node in (1, 2, 3):
            status, _, body = validate(node)
            assert status == 404 and body["error"]["message"] == "Failed to validate token"
            status, headers, body = http("GET", f"http://127.0.0.1:{8079 + node}/identity/v3/projects",
                                         headers={"X-Auth-Token": short})
            assert status == 401 and body["error"]["title"] == "Unauthorized"
            assert http("HEAD", f"http://127.0.0.1:{8079 + node}/v1/AUTH_{project_id}",
                        headers={"X-Auth-Token": short})[0] == 401
    finally:
        restart_node(identity3, 3)
