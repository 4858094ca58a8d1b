"""`make hub`: a JupyterHub for a lab session, started for real on 127.0.0.1.

The hub runs hub/jupyterhub_config.py (the file `make hub` runs), loaded from a small config that
puts it on free local ports with its state in a temporary folder, and adds a test service that
may create users. Two users are created; each logs in through the REST API with the shared
password (a wrong one is refused), starts a server, finds the student notebooks in its home, and
runs `import nagcore` in a kernel of its own. Then the servers and the hub are stopped, and no
process the hub started is left.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid

import psutil
import pytest
import requests
import websocket

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
CONFIG = ROOT / "hub" / "jupyterhub_config.py"
USERS = ("ada", "grace")
PASSWORD = "lab-session-" + secrets.token_hex(4)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _wait_for(check, seconds: float, what: str, log: pathlib.Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"{what} within {seconds:g} s; the hub's log ends with:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A running hub: (base URL, service token, log path, hub process); stopped afterwards."""
    built = subprocess.run(["make", "-s", "assignments", "hub-proxy"], cwd=ROOT, capture_output=True,
                           text=True, env=dict(os.environ, MAKEFLAGS=""))
    assert built.returncode == 0, built.stdout + built.stderr
    state = tmp_path_factory.mktemp("hub")
    port, api_port, proxy_port = _free_ports(3)
    token = secrets.token_hex(16)
    config = state / "test_config.py"
    config.write_text(
        "c = get_config()\n"
        f"load_subconfig({str(CONFIG)!r})\n"
        f"c.JupyterHub.services = [{{'name': 'tester', 'api_token': {token!r}}}]\n"
        "c.JupyterHub.load_roles = [{'name': 'tester', 'services': ['tester'],\n"
        "                            'scopes': ['admin:users', 'admin:servers', 'list:users']}]\n"
    )
    env = dict(os.environ, HUB_STATE=str(state), HUB_PORT=str(port), HUB_API_PORT=str(api_port),
               HUB_PROXY_API_PORT=str(proxy_port), HUB_PASSWORD=PASSWORD)
    log = state / "hub.log"
    with open(log, "w") as out:
        process = subprocess.Popen([BIN / "jupyterhub", "-f", config], cwd=state, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def up():
        assert process.poll() is None, f"the hub exited:\n{log.read_text()[-3000:]}"
        try:
            return requests.get(f"{base}/hub/api/", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        _wait_for(up, 60, "the hub did not answer", log)
        yield base, token, log, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _execute(base: str, user: str, token: str, code: str) -> tuple[str, str]:
    """Run code in a new kernel of the user's server; (printed text, status)."""
    auth = {"Authorization": f"token {token}"}
    kernel = requests.post(f"{base}/user/{user}/api/kernels", headers=auth, json={"name": "python3"}, timeout=30)
    assert kernel.status_code == 201, kernel.text
    url = f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/user/{user}/api/kernels/{kernel.json()['id']}/channels"
    channel = websocket.create_connection(url, header=[f"Authorization: token {token}"], timeout=60)
    msg_id = uuid.uuid4().hex
    channel.send(json.dumps({
        "header": {"msg_id": msg_id, "username": user, "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    printed, status = "", None
    while status is None:
        message = json.loads(channel.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "stream":
            printed += message["content"]["text"]
        elif message["msg_type"] == "error":
            printed += "\n".join(message["content"]["traceback"])
        elif message["msg_type"] == "execute_reply":
            status = message["content"]["status"]
    channel.close()
    return printed, status


def test_two_users_log_in_get_the_assignments_and_a_kernel_with_nagcore_then_everything_stops(hub):
    base, service_token, log, process = hub
    admin = {"Authorization": f"token {service_token}"}
    created = requests.post(f"{base}/hub/api/users", headers=admin, json={"usernames": list(USERS)}, timeout=10)
    assert created.status_code == 201, created.text

    tokens = {}
    for user in USERS:
        wrong = requests.post(f"{base}/hub/api/users/{user}/tokens", timeout=10,
                              json={"auth": {"username": user, "password": "not-the-password"}})
        assert wrong.status_code == 403, wrong.text
        login = requests.post(f"{base}/hub/api/users/{user}/tokens", timeout=10,
                              json={"auth": {"username": user, "password": PASSWORD}})
        assert login.status_code in (200, 201), login.text
        tokens[user] = login.json()["token"]
    for user in USERS:  # both servers start at the same time
        started = requests.post(f"{base}/hub/api/users/{user}/server", timeout=30,
                                headers={"Authorization": f"token {tokens[user]}"})
        assert started.status_code in (201, 202), started.text

    def ready(user):
        info = requests.get(f"{base}/hub/api/users/{user}", timeout=10,
                            headers={"Authorization": f"token {tokens[user]}"}).json()
        return info.get("servers", {}).get("", {}).get("ready")

    expected = sorted(p.name for p in (ROOT / "_build" / "assignments" / "student").glob("*.ipynb"))
    assert len(expected) >= 4
    for user in USERS:
        _wait_for(lambda: ready(user), 90, f"{user}'s server was not ready", log)
        home = requests.get(f"{base}/user/{user}/api/contents", timeout=30,
                            headers={"Authorization": f"token {tokens[user]}"})
        assert home.status_code == 200, home.text
        assert sorted(item["name"] for item in home.json()["content"] if item["name"].endswith(".ipynb")) == expected
        printed, status = _execute(base, user, tokens[user],
                                   "import os, sys, nagcore\nprint(nagcore.__file__, sys.prefix, os.getcwd())")
        assert status == "ok", printed
        nagcore_file, prefix, cwd = printed.split()
        assert pathlib.Path(nagcore_file) == ROOT / "nagcore" / "__init__.py"
        assert pathlib.Path(prefix) == ROOT / ".venv"
        assert pathlib.Path(cwd).name == user

    started = psutil.Process(process.pid).children(recursive=True)  # proxy, servers, kernels
    assert len(started) >= 1 + 2 * len(USERS), [p.cmdline() for p in started]
    for user in USERS:
        stopped = requests.delete(f"{base}/hub/api/users/{user}/server", timeout=30,
                                  headers={"Authorization": f"token {tokens[user]}"})
        assert stopped.status_code in (202, 204), stopped.text
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) is not None
    gone, alive = psutil.wait_procs(started, timeout=15)
    assert not alive, [p.cmdline() for p in alive]


def test_make_hub_runs_this_configuration():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nhub:"):].split("\n\n")[0]
    assert "jupyterhub -f hub/jupyterhub_config.py" in recipe
    lock = json.loads((ROOT / "hub" / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == "5.3.0"
    assert "jupyterhub==" in (ROOT / "requirements.txt").read_text()
