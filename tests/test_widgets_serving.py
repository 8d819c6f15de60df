"""Serving: the notebook resolver, Voila's arguments and settings, the CLI, and the notebooks themselves."""

from __future__ import annotations

import json
import os

import nbformat
import pytest
from click.testing import CliRunner
from onnx_fixtures import write_tiny_model

from fakescope.cli.dashboard import dashboard
from fakescope.runtime import DEFAULT_LIMITS
from fakescope.widgets.env import DATA_ENV, MAX_UPLOAD_ENV, MODEL_ENV, SAMPLES_ENV
from fakescope.widgets.notebooks import DASHBOARDS, notebook_path
from fakescope.widgets.serve import MAX_MESSAGE_BYTES, dashboard_env, voila_argv, voila_config


def test_every_dashboard_name_resolves_to_a_notebook_that_only_displays_its_widget():
    for name in DASHBOARDS:
        notebook = nbformat.read(notebook_path(name), as_version=4)
        (cell,) = notebook.cells
        assert cell.source.startswith("from fakescope.widgets import ") and cell.outputs == []


def test_unknown_dashboards_and_missing_notebooks_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="unknown dashboard"):
        notebook_path("shop")
    with pytest.raises(FileNotFoundError, match="not found"):
        notebook_path(str(tmp_path / "gone.ipynb"))
    own = tmp_path / "mine.ipynb"
    own.write_text("{}")
    assert notebook_path(str(own)) == own.resolve()


def test_voila_is_local_hidden_source_preheated_and_fits_the_upload_limit(tmp_path):
    argv = voila_argv(tmp_path / "d.ipynb", port=9000, host="127.0.0.1", pool_size=2)
    for arg in (
        "--port=9000",
        "--Voila.ip=127.0.0.1",
        "--no-browser",
        "--strip_sources=True",
        "--theme=light",
        "--preheat_kernel=True",
        "--pool_size=2",
        "--Voila.port_retries=0",
    ):
        assert arg in argv
    assert "--preheat_kernel=True" not in voila_argv(tmp_path / "d.ipynb", port=1, host="::1", pool_size=0)
    limit = voila_config()["Voila"]["tornado_settings"]["websocket_max_message_size"]
    assert limit == MAX_MESSAGE_BYTES and limit > 4 * DEFAULT_LIMITS.max_file_bytes * 4 // 3


def test_dashboard_env_passes_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = dashboard_env(model="m.onnx", samples="s")
    assert env == {MODEL_ENV: str(tmp_path / "m.onnx"), SAMPLES_ENV: str(tmp_path / "s")}
    assert DATA_ENV not in env


def test_cli_refuses_unusable_models_and_unknown_notebooks_in_one_line(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"nope")
    result = CliRunner().invoke(dashboard, ["--model", str(bad)])
    assert result.exit_code == 1 and "Error:" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(dashboard, ["shop"])
    assert result.exit_code == 1 and "unknown dashboard 'shop'" in result.output


def test_cli_serves_with_the_paths_in_the_environment_and_warns_for_public_hosts(tmp_path, monkeypatch):
    model = write_tiny_model(tmp_path / "tiny.onnx")
    calls = []
    monkeypatch.setattr("fakescope.widgets.serve.serve", lambda path, **kw: calls.append((path, kw)))
    result = CliRunner().invoke(
        dashboard,
        ["evaluate", "--model", str(model), "--data", str(tmp_path), "--host", "0.0.0.0", "--port", "9100"],
    )
    assert result.exit_code == 0, result.output
    assert "warning: binding to 0.0.0.0" in result.output and "http://0.0.0.0:9100/" in result.output
    ((path, kw),) = calls
    assert path.name == "evaluate.ipynb" and kw["host"] == "0.0.0.0" and kw["port"] == 9100
    assert kw["env"] == {
        MODEL_ENV: str(model.resolve()),
        DATA_ENV: str(tmp_path.resolve()),
        MAX_UPLOAD_ENV: "10.0",
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "widget"),
    [("dashboard", "DetectorDashboard"), ("explore", "DatasetExplorer"), ("evaluate", "ModelReport")],
)
def test_each_notebook_runs_and_displays_its_widget(name, widget, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv(MODEL_ENV, str(write_tiny_model(tmp_path / "tiny.onnx")))
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    notebook = nbformat.read(notebook_path(name), as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    (output,) = notebook.cells[0].outputs
    assert json.dumps(output["data"]["application/vnd.jupyter.widget-view+json"])
    assert output["data"]["text/plain"].startswith(widget)


def test_the_upload_limit_reaches_the_detector_and_the_websocket(monkeypatch, tmp_path):
    from onnx_fixtures import write_tiny_model

    from fakescope.widgets import DetectorDashboard
    from fakescope.widgets.serve import max_message_bytes

    env = dashboard_env(max_upload_mb=0.5)
    assert env == {MAX_UPLOAD_ENV: "0.5"}
    monkeypatch.setenv(MAX_UPLOAD_ENV, "0.5")
    dashboard = DetectorDashboard(write_tiny_model(tmp_path / "m.onnx"), samples_folder=tmp_path)
    assert dashboard.detector.limits.max_file_bytes == 2**19
    config = voila_config(max_file_bytes=2**19)
    assert config["Voila"]["tornado_settings"]["websocket_max_message_size"] == max_message_bytes(2**19)
    assert max_message_bytes(2**19) < MAX_MESSAGE_BYTES


def test_only_local_names_and_the_bind_host_are_answered():
    import socket

    from fakescope.widgets.hosts import AllowedHosts

    local = AllowedHosts.for_bind("127.0.0.1")
    for host in ("localhost", "localhost:8866", "127.0.0.1:8866", "[::1]:8866", "LOCALHOST:1"):
        assert local.allows(host), host
    for host in ("attacker.example", "attacker.example:8866", "127.0.0.1.nip.io", "10.0.0.5", "", "[::2]"):
        assert not local.allows(host), host
    named = AllowedHosts.for_bind("10.0.0.5")
    assert named.allows("10.0.0.5:8866") and not named.allows("10.0.0.6:8866")
    wildcard = AllowedHosts.for_bind("0.0.0.0")
    for host in ("192.168.1.5:8866", "[fe80::1]:8866", socket.gethostname(), "localhost"):
        assert wildcard.allows(host), host
    assert not wildcard.allows("attacker.example:8866")


def test_voila_is_served_with_the_fakescope_template_and_the_kernel_policy(tmp_path):
    from fakescope.widgets.serve import TEMPLATE_ROOT

    assert "--template=fakescope" in voila_argv(tmp_path / "d.ipynb", port=1, host="127.0.0.1")
    template = TEMPLATE_ROOT / "voila" / "templates" / "fakescope"
    assert {"conf.json", "index.html.j2", "upload_guard.js"} <= {p.name for p in template.iterdir()}
    policy = voila_config(max_kernels=8, pool_size=1, idle_seconds=120)["LimitedKernelManager"]
    assert policy["max_kernels"] == 8 and policy["reserved"] == 1
    assert (
        policy["cull_idle_timeout"] + policy["cull_interval"] == 120
    )  # culled within 120 s of the last close
    env = dashboard_env(data=[tmp_path / "a", tmp_path / "b"])
    assert env[DATA_ENV].split(os.pathsep) == [str(tmp_path / "a"), str(tmp_path / "b")]


def test_tickets_are_single_use_short_lived_and_capped_with_a_retry_time():
    import time

    from fakescope.widgets.kernels import DashboardBusy, LimitedKernelManager

    manager = LimitedKernelManager(max_kernels=3, reserved=1, ticket_seconds=0.3)  # 2 places for pages
    first, second = manager.issue_ticket(), manager.issue_ticket()
    with pytest.raises(DashboardBusy) as busy:
        manager.issue_ticket()
    assert busy.value.status_code == 503 and busy.value.retry_s == 1  # the first ticket expires first
    assert busy.value.reason == "Dashboard busy: all 2 places are taken; try again in 1 s"
    assert manager.redeem(first) and not manager.redeem(first)  # single use
    assert not manager.redeem(None) and not manager.redeem("forged")
    time.sleep(0.4)
    assert not manager.redeem(second)  # expired
    assert manager.issue_ticket()


def test_the_hard_cap_refuses_a_kernel_start_past_max_kernels_with_a_retry_time():
    """Behind the tickets, `start_kernel` itself never runs more than `max_kernels` real kernels."""
    import asyncio

    from fakescope.widgets.kernels import DashboardBusy, LimitedKernelManager

    async def scenario() -> tuple[DashboardBusy, int]:
        manager = LimitedKernelManager(max_kernels=1, cull_idle_timeout=60, cull_interval=5)
        first = await manager.start_kernel()
        try:
            with pytest.raises(DashboardBusy) as busy:
                await manager.start_kernel()
            return busy.value, len(manager.list_kernel_ids())
        finally:
            await manager.shutdown_kernel(first, now=True)

    busy, running = asyncio.run(scenario())
    assert running == 1 and busy.status_code == 503
    assert 55 <= busy.retry_s <= 65  # the running kernel, idle from now, is culled after 60 + 5 s at most
    assert busy.reason.startswith("Dashboard busy: its one place is taken; try again in ")
