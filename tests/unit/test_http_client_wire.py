"""The CLI's HTTP/1.0 client on the wire: what a person types cannot forge a request, and a
cut-off answer is not taken for a whole one. A real socket server in a thread answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from starter.errors import Unavailable, UsageError
from starter.http_client import FrontDoor


class OneShotServer:
    """Accepts connections on a free loopback port, keeps each request's bytes, answers `reply`."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                received = b""
                while b"\r\n\r\n" not in received and (chunk := connection.recv(65536)):
                    received += chunk
                self.requests.append(received)
                connection.sendall(self.reply)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def answering() -> Iterator[OneShotServer]:
    body = b'{"id": "2027-06"}'
    server = OneShotServer(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    yield server
    server.close()


def test_a_typed_line_break_is_escaped_not_sent_as_a_header(answering: OneShotServer) -> None:
    door = FrontDoor(f"http://127.0.0.1:{answering.port}", "tok")
    answer = door.get("/api/releases/2027-06\r\nX-Forged: yes")
    assert answer.data == {"id": "2027-06"}
    head = answering.requests[0].decode("latin-1")
    request_line, *fields = head.split("\r\n\r\n")[0].split("\r\n")
    # urlsplit drops the line break (as browsers do) and the space is escaped: one request line.
    assert request_line == "GET /api/releases/2027-06X-Forged:%20yes HTTP/1.0"
    assert not any(field.lower().startswith("x-forged") for field in fields)
    assert "Authorization: Bearer tok" in fields


def test_a_token_holding_a_line_break_is_refused_before_anything_is_sent(
    answering: OneShotServer,
) -> None:
    door = FrontDoor(f"http://127.0.0.1:{answering.port}", "tok\r\nX-Role: PANEL")
    with pytest.raises(UsageError, match="line break") as refused:
        door.get("/api/me")
    assert "sec-release login" in str(refused.value)
    assert answering.requests == []


def test_an_answer_cut_short_is_not_taken_for_a_whole_one() -> None:
    server = OneShotServer(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        b'{"id": "20'
    )
    try:
        with pytest.raises(Unavailable, match="NotHttp"):
            FrontDoor(f"http://127.0.0.1:{server.port}", "tok").get("/api/releases/2027-06")
        assert len(server.requests) == 1
    finally:
        server.close()
