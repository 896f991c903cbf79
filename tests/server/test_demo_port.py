"""The demo server's port: 18765 as the README says, also right after a previous run (its
connections still in TIME_WAIT); any free port only when another program holds it."""

from __future__ import annotations

import socket

from demo_wiring import DEMO_PORT, preferred_port


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_readme_names_the_demo_port() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"port {DEMO_PORT}" in readme and "free port" in readme


def test_a_free_port_is_taken_and_a_held_one_is_not() -> None:
    port = _free_port()
    assert preferred_port(port) == port
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen(1)
        assert preferred_port(port) is None


def test_the_port_is_taken_again_right_after_a_previous_run() -> None:
    # the previous run closed its connections first: they linger in TIME_WAIT on the port
    port = _free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    client = socket.create_connection(("127.0.0.1", port))
    conn, _addr = server.accept()
    conn.close()  # the server side closes first: its end of the connection waits in TIME_WAIT
    client.recv(1)
    client.close()
    server.close()
    assert preferred_port(port) == port
