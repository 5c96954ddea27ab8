"""The CLI's HTTP/1.0 client on the wire: what a person types cannot forge a request, and a
cut-off answer is not taken for a whole one. A real socket server in a thread answers."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

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
                raw, _ = self.listener.accept()
            except OSError:
                return
            try:
                with self.wrap(raw) as connection:
                    received = b""
                    while b"\r\n\r\n" not in received and (chunk := connection.recv(65536)):
                        received += chunk
                    self.requests.append(received)
                    connection.sendall(self.reply)
            except OSError:  # the client went away (or, over TLS, refused the certificate)
                raw.close()

    def wrap(self, raw: socket.socket) -> socket.socket:
        """The connection as the server speaks on it: plain here."""
        return raw

    def close(self) -> None:
        self.listener.close()


# A whole answer: 200 with a release's JSON.
BODY = b'{"id": "2027-06"}'
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
    + BODY
)


@pytest.fixture
def answering() -> Iterator[OneShotServer]:
    server = OneShotServer(ANSWER)
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


class TlsServer(OneShotServer):
    """The same server behind TLS, with a self-signed certificate for 127.0.0.1."""

    def __init__(self, reply: bytes, cert: Path, key: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        super().__init__(reply)

    def wrap(self, raw: socket.socket) -> socket.socket:
        return self.context.wrap_socket(raw, server_side=True)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), signed by itself."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sec-release test front door")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "door.pem", folder / "door.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_door(tmp_path: Path) -> Iterator[tuple[TlsServer, Path]]:
    cert, key = self_signed(tmp_path)
    server = TlsServer(ANSWER, cert, key)
    yield server, cert
    server.close()


def test_an_https_front_door_whose_certificate_is_trusted_is_answered_over_tls(
    tls_door: tuple[TlsServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_door
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the private authority, trusted
    answer = FrontDoor(f"https://127.0.0.1:{server.port}", "tok").get("/api/releases/2027-06")
    assert answer.data == {"id": "2027-06"}
    head = server.requests[0].decode("latin-1")
    assert head.startswith("GET /api/releases/2027-06 HTTP/1.1\r\n")
    assert "Authorization: Bearer tok\r\n" in head


def test_an_https_front_door_whose_certificate_cannot_be_verified_is_named_so(
    tls_door: tuple[TlsServer, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server, _ = tls_door
    (tmp_path / "elsewhere").mkdir()
    other, _ = self_signed(tmp_path / "elsewhere")
    monkeypatch.setenv("SSL_CERT_FILE", str(other))  # trusts another authority only
    door = FrontDoor(f"https://127.0.0.1:{server.port}", "tok")
    with pytest.raises(Unavailable, match="its certificate could not be verified") as refused:
        door.get("/api/releases/2027-06")
    assert "SSL_CERT_FILE" in str(refused.value)
    assert server.requests == []  # nothing was sent: the token never left the client
