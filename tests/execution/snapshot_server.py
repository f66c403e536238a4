"""A partner's snapshot endpoint on 127.0.0.1: answers GET with scripted JSON, status or delay."""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    delay_seconds: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:
        reply = self.server.reply
        self.server.requests.append(self.path)
        if reply.delay_seconds:
            time.sleep(reply.delay_seconds)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True  # the caller timed out and left

    def log_message(self, format: str, *args) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.reply = Reply()
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class SnapshotServer:
    def __enter__(self) -> "SnapshotServer":
        self._server = _Server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/inventory/snapshot"

    @property
    def requests(self) -> list[str]:
        return list(self._server.requests)

    def answer(self, reply: Reply) -> None:
        self._server.reply = reply
