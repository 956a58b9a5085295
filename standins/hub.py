"""A local stand-in for the Hugging Face Hub's HTTP API, for tests that must not touch the network.

It answers what `HfApi.create_repo` and `HfApi.upload_folder` send for a small folder (create repo,
preupload answering "regular" for every file, a commit carrying the files inline) and records every
request. Point huggingface_hub at it with HF_ENDPOINT=hub.url and HF_HUB_OFFLINE=0. Use it through
the `fake_hub` fixture (`pytest_plugins = ["standins.hub"]`)::

    fake_hub.fail("/commit/", 500)   # requests whose path holds "/commit/" get an HTTP 500
    fake_hub.fail("/preupload/", 401, "<html>{authorization}")  # ... with this body instead
    fake_hub.fail("/api/repos/create", DROP)  # ... the connection closed, no answer
    fake_hub.requests                # what it received: (method, path, lower-case headers, body)
    fake_hub.repos                   # repo id -> "private" | "public", as the Hub would create it
    fake_hub.committed_files()       # path in the repo -> bytes

Error answers quote the request's Authorization header, as a careless server might: the worst case
for a client that puts the server's message into its own errors. A fault's own body may quote it
too ("{authorization}" in it), also with a success status (an answer the client cannot parse).

PYTEST_DONT_REWRITE: no asserts here, and test modules import it before pytest loads it as a plugin.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

COMMIT = "a" * 40
DROP = 0  # a fault "status": close the connection without an answer


@dataclass
class FakeHub:
    """What the server received and how it answers; `url` is set once it listens."""

    url: str = ""
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    repos: dict[str, str] = field(default_factory=dict)
    faults: dict[str, tuple[int, str | None]] = field(default_factory=dict)

    def fail(self, path_part: str, status: int, body: str | None = None) -> None:
        """Answer every request whose path contains `path_part` with HTTP `status` (DROP: none)
        and `body` ("{authorization}" in it: the request's header), by default a JSON error
        quoting the Authorization header."""
        self.faults[path_part] = (status, body)

    def committed_files(self) -> dict[str, bytes]:
        files = {}
        for method, path, _, body in self.requests:
            if method == "POST" and "/commit/" in path:
                for line in body.decode().splitlines():
                    entry = json.loads(line)
                    if entry["key"] == "file":
                        files[entry["value"]["path"]] = base64.b64decode(entry["value"]["content"])
        return files

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict | str]:
        """Record one request; return the status and the JSON (or raw text) to answer it with."""
        self.requests.append((method, path, headers, body))
        for part, (status, text) in self.faults.items():
            if part in path:
                credentials = headers.get("authorization", "none")
                if text is not None:
                    return status, text.replace("{authorization}", credentials)
                return status, {"error": f"fake hub says {status} to {credentials}"}
        if path == "/api/repos/create":
            request = json.loads(body)
            repo_id = f"{request['organization']}/{request['name']}"
            # The Hub's API takes `visibility` (huggingface_hub >= 1) or the older `private`.
            private = request.get("visibility") == "private" or request.get("private") is True
            self.repos[repo_id] = "private" if private else "public"
            return 200, {"url": f"{self.url}/{repo_id}"}
        if "/preupload/" in path:
            files = json.loads(body)["files"]
            return 200, {
                "files": [
                    {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                    for f in files
                ]
            }
        if "/commit/" in path:
            repo_id = path.removeprefix("/api/models/").split("/commit/")[0]
            return 200, {"commitUrl": f"{self.url}/{repo_id}/commit/{COMMIT}", "commitOid": COMMIT}
        return 200, {}


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    """A FakeHub listening on 127.0.0.1 for the test's duration."""
    hub = FakeHub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer = hub.answer(self.command, self.path, headers, body)
            if status == DROP:
                self.close_connection = True
                return
            data = (answer if isinstance(answer, str) else json.dumps(answer)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hub.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hub
    server.shutdown()
    server.server_close()
