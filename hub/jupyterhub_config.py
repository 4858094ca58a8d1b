"""JupyterHub for a lab session on one machine: ``make hub`` (see instructors.md).

Students open the hub's address, log in with any user name and the shared password, and get
JupyterLab with the book's environment (this repository's .venv: numpy, nagcore, otter) and the
student notebooks of the assignments in their home folder, copied there when their server first
starts (their own work is never overwritten).

All users run as the operating-system user who started the hub, and anyone with the password can
log in under any user name: this is for a lab session, not for keeping students apart. For that,
and for classes that outgrow one machine, use Zero to JupyterHub on Kubernetes with an image
built from the same requirements.txt (instructors.md).

Settings come from the environment (``make hub`` sets them):

* ``HUB_STATE``: a folder for the database, the cookie secret, the password and the users' homes;
* ``HUB_IP`` (default 127.0.0.1; 0.0.0.0 lets other machines in) and ``HUB_PORT`` (8000);
  ``HUB_API_PORT`` (8081) and ``HUB_PROXY_API_PORT`` (8001) are used on 127.0.0.1 only;
* ``HUB_PASSWORD``: the shared password (8 characters or more). Without it, one is made up,
  kept in ``HUB_STATE/password`` and printed.
"""

import os
import pathlib
import secrets
import shutil
import sys

c = get_config()  # noqa: F821 -- provided by JupyterHub when it loads this file

ROOT = pathlib.Path(__file__).resolve().parents[1]
VENV_BIN = pathlib.Path(sys.executable).parent  # the hub runs from .venv/bin/jupyterhub
STATE = pathlib.Path(os.environ.get("HUB_STATE", ROOT / "_build" / "hub")).resolve()
ASSIGNMENTS = ROOT / "_build" / "assignments" / "student"
STATE.mkdir(parents=True, exist_ok=True)


def shared_password() -> str:
    """HUB_PASSWORD, or the one made up (and kept) the first time."""
    if os.environ.get("HUB_PASSWORD"):
        return os.environ["HUB_PASSWORD"]
    kept = STATE / "password"
    if not kept.exists():
        kept.touch(mode=0o600)
        kept.write_text(secrets.token_urlsafe(9))
    return kept.read_text().strip()


def copy_assignments(spawner) -> None:
    """Put the student notebooks into the user's home, keeping any the user already has."""
    home = pathlib.Path(spawner.home_dir)
    home.mkdir(parents=True, exist_ok=True)
    for notebook in sorted(ASSIGNMENTS.glob("*.ipynb")):
        if not (home / notebook.name).exists():
            shutil.copy(notebook, home / notebook.name)


ip, port = os.environ.get("HUB_IP", "127.0.0.1"), int(os.environ.get("HUB_PORT", "8000"))
c.JupyterHub.ip, c.JupyterHub.port = ip, port
c.JupyterHub.hub_ip, c.JupyterHub.hub_port = "127.0.0.1", int(os.environ.get("HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [str(ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")

c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = shared_password()
c.Authenticator.allow_all = True

c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.environment = {"PATH": os.pathsep.join([str(VENV_BIN), "/usr/local/bin", "/usr/bin", "/bin"])}
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab"
c.Spawner.pre_spawn_hook = copy_assignments
if os.getuid() == 0:
    c.Spawner.args = ["--allow-root"]

where = "this machine only (HUB_IP=0.0.0.0 lets students in)" if ip == "127.0.0.1" else "other machines too"
print(f"JupyterHub for the book: http://{ip}:{port}, for {where}.\n"
      f"Log in with any user name and the password {c.SharedPasswordAuthenticator.user_password}", file=sys.stderr)
