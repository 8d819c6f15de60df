"""The served dashboard as an attacker sees it: no code execution over the kernel websocket, a cap on live
kernels, and localhost binding by default."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid

import pytest
from browser_support import DashboardServer

websocket = pytest.importorskip("websocket")
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tiny_model_path, tmp_path_factory):
    log = tmp_path_factory.mktemp("security") / "voila.log"
    server = DashboardServer(["--model", str(tiny_model_path), "--pool-size", "0", "--max-kernels", "2"], log)
    yield server
    server.stop()


def _open_page(server) -> str:
    with urllib.request.urlopen(server.url, timeout=120) as response:
        return response.read().decode("utf-8", errors="replace")


def _message(msg_type: str, content: dict, session: str) -> str:
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "session": session,
        "username": "attacker",
        "version": "5.3",
        "date": "2026-01-01T00:00:00Z",
    }
    return json.dumps(
        {
            "header": header,
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": "shell",
            "buffers": [],
        }
    )


def _replies(ws, seconds: float) -> list[dict]:
    found, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            raw = ws.recv()
        except websocket.WebSocketTimeoutException:
            continue
        if isinstance(raw, str):
            found.append(json.loads(raw))
    return found


def test_execute_requests_over_the_kernel_websocket_are_refused(server, tmp_path):
    page = _open_page(server)
    kernel_id = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page).group(1)
    marker = tmp_path / "pwned"
    session = uuid.uuid4().hex
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={session}", timeout=1
    )
    try:
        ws.send(_message("kernel_info_request", {}, session))
        ws.send(
            _message(
                "execute_request",
                {
                    "code": f"open({str(marker)!r}, 'w').write('x')",
                    "silent": False,
                    "store_history": False,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                session,
            )
        )
        replies = _replies(ws, 4.0)
    finally:
        ws.close()
    types = {reply["header"]["msg_type"] for reply in replies}
    assert "kernel_info_reply" in types  # the channel works: the refusal below is real
    assert "execute_reply" not in types and "execute_input" not in types
    assert not marker.exists()


def test_pages_beyond_the_kernel_cap_are_refused_with_a_reason(server):
    opened = 0
    for _ in range(3):
        try:
            _open_page(server)
            opened += 1
        except urllib.error.HTTPError as err:
            assert err.code == 503
            assert "Dashboard busy" in err.read().decode("utf-8", errors="replace")
            break
    else:
        pytest.fail("a third live kernel was started past --max-kernels 2")
    assert opened <= 2


def test_the_server_listens_on_localhost_only(server):
    assert "127.0.0.1" in server.url
    with open(f"/proc/{server.process.pid}/net/tcp") as handle:
        listening = [line.split()[1] for line in handle.readlines()[1:] if line.split()[3] == "0A"]
    port_hex = f"{server.port:04X}"
    bound = [address for address in listening if address.endswith(f":{port_hex}")]
    assert bound and all(address.startswith("0100007F") for address in bound)
