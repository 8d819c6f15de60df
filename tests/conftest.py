"""Shared fixtures: tiny sealed ONNX models and generated images (nothing is downloaded or committed)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from onnx_fixtures import write_tiny_model


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    """A 32x32 RGB fakescope model (conv → GAP → Dense(1), in-graph CAM) with a sealed card."""
    return write_tiny_model(tmp_path_factory.mktemp("models") / "tiny.onnx")


@pytest.fixture(scope="session")
def tiny_grey_model_path(tmp_path_factory) -> Path:
    """The same graph, declared as trained on greyscale input."""
    return write_tiny_model(tmp_path_factory.mktemp("models") / "tiny_grey.onnx", greyscale=True)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open an internet socket from Python fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a network connection was attempted: {args!r}")

    real_socket = socket.socket

    class Guarded(real_socket):
        def __init__(self, family=socket.AF_INET, *args, **kwargs):
            if family in (socket.AF_INET, socket.AF_INET6):
                refuse(family)
            super().__init__(family, *args, **kwargs)

    monkeypatch.setattr(socket, "socket", Guarded)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
