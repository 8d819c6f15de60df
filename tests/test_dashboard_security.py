"""The served dashboard as an attacker sees it, over real HTTP and websockets against a real Voila server: no
answer to a foreign `Host` (DNS rebinding), no kernel for a plain GET, no code execution over the kernel
websocket, a cap on live kernels that says when to retry, the kernel of a closed page culled, and localhost
binding by default."""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.request
import uuid

import pytest
from browser_support import CHROMIUM, CHROMIUM_FLAGS, DashboardServer, kernel_alive, open_session, ticket

websocket = pytest.importorskip("websocket")
pytestmark = pytest.mark.browser

IDLE_S = 10


@pytest.fixture(scope="module")
def server(tiny_model_path, tmp_path_factory):
    log = tmp_path_factory.mktemp("security") / "voila.log"
    args = ["--model", str(tiny_model_path), "--pool-size", "0", "--max-kernels", "2"]
    server = DashboardServer([*args, "--idle-timeout", str(IDLE_S)], log)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kernel_id(server):
    """A page's kernel, kept connected for the whole module so it is never culled."""
    _page, kernel = open_session(server)
    ws = _channels(server, kernel)
    yield kernel
    ws.close()


def _get(server, path: str, host: str, method: str = "GET", **headers: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request(method, path, headers={"Host": host, **headers})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


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


def _replies(ws, until: str, then: float = 3.0, limit: float = 60.0) -> list[dict]:
    """The messages the kernel sends: until one of type `until` arrives (at most `limit` s, however busy
    the machine), then `then` s more, time for any reply queued behind it."""
    found, deadline = [], time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            raw = ws.recv()
        except websocket.WebSocketTimeoutException:
            continue
        if isinstance(raw, str):
            found.append(json.loads(raw))
            if found[-1]["header"]["msg_type"] == until:
                deadline = min(deadline, time.monotonic() + then)
    return found


def _channels(server, kernel_id: str, host: str | None = None):
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
    options = {"host": host, "origin": f"http://{host}"} if host else {}
    return websocket.create_connection(url, timeout=1, **options)


def test_plain_gets_start_no_kernel_and_lock_nobody_out(server, request):
    for _ in range(6):  # three times --max-kernels
        status, body = _get(server, "/", f"127.0.0.1:{server.port}")
        assert status == 200 and 'id="fs-door"' in body and "kernelId" not in body
    assert _get(server, "/notes.txt", f"127.0.0.1:{server.port}")[0] == 302  # Voila's file redirect
    assert server.children() == []  # not one kernel process was started
    kernel_id = request.getfixturevalue("kernel_id")  # a page that asks over its websocket gets one
    assert kernel_alive(server, kernel_id)


def test_a_foreign_host_header_gets_403_over_http_and_websocket(server, kernel_id):
    for host in ("attacker.example", f"attacker.example:{server.port}", f"127.0.0.1.nip.io:{server.port}"):
        for path in ("/", "/voila/static/voila.js", f"/api/kernels/{kernel_id}", "/fakescope/ticket"):
            status, _body = _get(server, path, host)
            assert status == 403, (host, path)
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            _channels(server, kernel_id, host=host)
        assert refused.value.status_code == 403
        with pytest.raises(websocket.WebSocketBadStatusException):
            ticket(server, host=host)
    for local in (
        f"localhost:{server.port}",
        f"127.0.0.1:{server.port}",
        f"[::1]:{server.port}",
        "localhost",
    ):
        assert _get(server, "/voila/static/voila.js", local)[0] == 200, local
    _channels(server, kernel_id, host=f"localhost:{server.port}").close()


def test_no_other_page_can_shut_a_kernel_down(server, kernel_id):
    """Voila's kernel REST route (DELETE) and its page-unload route (POST, which a cross-site form can send)
    refuse a foreign `Origin`, a rebinding `Host` and a request without the page's XSRF token."""
    local = f"127.0.0.1:{server.port}"
    for method, path in (
        ("DELETE", f"/api/kernels/{kernel_id}"),
        ("POST", f"/voila/api/shutdown/{kernel_id}"),
    ):
        for host, headers in (
            (local, {"Origin": "http://attacker.example"}),
            (local, {"Origin": "null"}),  # a sandboxed frame
            (local, {"Origin": "http://127.0.0.1:1"}),  # another local server's page
            (local, {}),  # no Origin, no XSRF token
            (f"attacker.example:{server.port}", {"Origin": f"http://attacker.example:{server.port}"}),
        ):
            status, _body = _get(server, path, host, method, **headers)
            assert status in (403, 404), (method, host, headers, status)
    assert kernel_alive(server, kernel_id)


ATTACKER_PAGE = """<!doctype html><html><body><script>
window.results = {};
const ws = new WebSocket("ws://127.0.0.1:PORT/fakescope/ticket");
ws.onmessage = (event) => { window.results.ticket = event.data; };
ws.onerror = () => { window.results.ticket = "refused"; };
for (const [name, method, path] of [["delete", "DELETE", "/api/kernels/KID"],
                                    ["shutdown", "POST", "/voila/api/shutdown/KID"]]) {
  fetch("http://127.0.0.1:PORT" + path, {method: method, mode: "no-cors"})
    .then(() => { window.results[name] = "sent"; }, () => { window.results[name] = "blocked"; });
}
</script></body></html>"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_a_hostile_page_in_the_browser_neither_rebinds_nor_reaches_the_dashboard(server, kernel_id):
    """In chromium: a domain resolved to 127.0.0.1 (DNS rebinding) gets 403 for the page and its files, and
    a cross-site page gets no ticket and cannot shut a page's kernel down."""
    sync_api = pytest.importorskip("playwright.sync_api")
    rules = "--host-resolver-rules=MAP attacker.example 127.0.0.1, MAP * ~NOTFOUND"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_FLAGS, rules])
        try:
            page = browser.new_page()
            for path in ("", "voila/static/voila.js", f"api/kernels/{kernel_id}"):
                response = page.goto(f"http://attacker.example:{server.port}/{path}")
                assert response.status == 403, path
            assert "fs-door" not in page.content()
            html = ATTACKER_PAGE.replace("PORT", str(server.port)).replace("KID", kernel_id)
            page.route(
                "http://attacker.example/", lambda route: route.fulfill(body=html, content_type="text/html")
            )
            page.goto("http://attacker.example/")
            page.wait_for_function("Object.keys(window.results).length == 3", timeout=30_000)
            assert page.evaluate("window.results.ticket") == "refused"
            page.wait_for_timeout(500)
        finally:
            browser.close()
    assert kernel_alive(server, kernel_id)


def test_execute_requests_over_the_kernel_websocket_are_refused(server, kernel_id, tmp_path):
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
        replies = _replies(ws, until="kernel_info_reply")
    finally:
        ws.close()
    types = {reply["header"]["msg_type"] for reply in replies}
    assert "kernel_info_reply" in types  # the channel works: the refusal below is real
    assert "execute_reply" not in types and "execute_input" not in types
    assert not marker.exists()


def test_a_closed_pages_kernel_is_culled_after_the_idle_timeout_and_an_open_one_is_kept(server, kernel_id):
    _page, closing = open_session(server)
    ws = _channels(server, closing)
    time.sleep(IDLE_S + 2)
    assert kernel_alive(server, closing) and kernel_alive(server, kernel_id)  # connected: kept however idle
    ws.close()
    closed = time.monotonic()
    while kernel_alive(server, closing):
        assert time.monotonic() - closed < IDLE_S + 5, "the kernel of a closed page was not culled"
        time.sleep(0.5)
    assert time.monotonic() - closed >= IDLE_S - 3


def test_a_place_being_taken_is_never_handed_out_twice(server, kernel_id):
    """While a page redeems the last place and its kernel starts, every other page is told it is busy (one
    clear answer each, never a dropped connection), and no more kernels than --max-kernels ever run."""
    import threading

    answer = ticket(server)  # the last place: `kernel_id` holds the other one
    assert "ticket" in answer, answer
    request = urllib.request.Request(
        server.url, headers={"Cookie": f"fs-ticket-{server.port}={answer['ticket']}"}
    )
    loading = threading.Thread(target=lambda: urllib.request.urlopen(request, timeout=120).read())
    loading.start()
    answers, most = [], 0
    while loading.is_alive():
        answers.append(ticket(server))
        most = max(most, len(server.children()))
    loading.join()
    assert answers and all(set(a) == {"busy", "retry_s"} for a in answers), answers
    assert most <= 2 and len(server.children()) <= 2


def test_pages_beyond_the_kernel_cap_are_told_when_to_retry(server, kernel_id):
    answers = [ticket(server) for _ in range(3)]  # one place is held by `kernel_id`
    busy = [a for a in answers if "busy" in a]
    assert len(answers) - len(busy) <= 1 and busy, answers
    assert busy[0]["busy"].startswith("Dashboard busy: all 2 places are taken; try again in ")
    assert 1 <= busy[0]["retry_s"] <= IDLE_S + 30  # a ticket lasts 30 s; an idle kernel is culled sooner


def test_the_server_listens_on_localhost_only(server):
    assert "127.0.0.1" in server.url
    with open(f"/proc/{server.process.pid}/net/tcp") as handle:
        listening = [line.split()[1] for line in handle.readlines()[1:] if line.split()[3] == "0A"]
    port_hex = f"{server.port:04X}"
    bound = [address for address in listening if address.endswith(f":{port_hex}")]
    assert bound and all(address.startswith("0100007F") for address in bound)


def test_the_pre_heated_kernel_keeps_its_place_and_is_not_culled_as_a_page_takes_it(
    tiny_model_path, tmp_path
):
    """With --pool-size 1 --max-kernels 2 one page gets a place while the pooled kernel waits (the manager
    reads Voila's pool, a private attribute of the pinned Voila: this fails if that reading breaks), and a
    pooled kernel that waited longer than --idle-timeout is not culled while the page that took it loads."""
    args = ["--model", str(tiny_model_path), "--pool-size", "1", "--max-kernels", "2", "--idle-timeout", "10"]
    pooled = DashboardServer(args, tmp_path / "voila.log")
    try:
        deadline = time.monotonic() + 60
        while "is filled with 1 kernel" not in pooled.log.read_text(errors="replace"):  # Voila's own line
            assert time.monotonic() < deadline, "the pool was never filled"
            time.sleep(0.2)
        first, second = ticket(pooled), ticket(pooled)
        assert "ticket" in first, first
        assert second["busy"] == f"Dashboard busy: its one place is taken; try again in {second['retry_s']} s"
        time.sleep(12)  # the pooled kernel is now idle for longer than --idle-timeout (pooled: never culled)
        request = urllib.request.Request(
            pooled.url, headers={"Cookie": f"fs-ticket-{pooled.port}={first['ticket']}"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            kernel = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', response.read().decode()).group(1)
        time.sleep(3)  # the culler looks every second; the page's script connects about now
        assert kernel_alive(pooled, kernel)
        _channels(pooled, kernel).close()
    finally:
        pooled.stop()
