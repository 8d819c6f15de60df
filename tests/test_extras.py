"""require_extra: a missing optional package is one line naming its extra; our own modules are not hidden."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fakescope.extras import MissingExtraError, require_extra
from fakescope.runtime.errors import FakescopeError, first_line


def test_a_missing_package_names_the_extra_that_installs_it():
    with pytest.raises(MissingExtraError) as caught, require_extra("video"):
        import fakescope_test_no_such_package  # noqa: F401
    err = caught.value
    assert isinstance(err, FakescopeError) and isinstance(err, ImportError)
    assert str(err) == (
        "fakescope_test_no_such_package is missing; install the video extra: pip install 'fakescope[video]'"
    )


def test_a_missing_fakescope_module_is_a_bug_not_a_missing_extra():
    with pytest.raises(ModuleNotFoundError) as caught, require_extra("train"):
        import fakescope.no_such_module  # noqa: F401
    assert not isinstance(caught.value, MissingExtraError)


def test_the_cli_says_which_extra_to_install_in_one_line(tmp_path):
    code = (
        "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"
        "from fakescope.cli.main import cli\n"
        f"cli(['train', {str(tmp_path)!r}, '--out', {str(tmp_path / 'run')!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: tensorflow is missing; install the train extra: pip install 'fakescope[train]'"
    ]


def test_first_line_of_an_exception():
    assert first_line(RuntimeError("  broken here\nTraceback detail  ")) == "broken here"
    assert first_line(ValueError("x" * 500), limit=10) == "x" * 10
    assert first_line(KeyError()) == "KeyError"


@pytest.mark.parametrize(
    ("argv", "extra", "package"),
    [
        (["keygen", "{tmp}/publisher"], "signing", "cryptography"),
        (["info", "{tmp}/model.onnx", "--trust", "{tmp}/publisher.pub"], "signing", "cryptography"),
        (["predict", "{tmp}/a.png", "--c2pa-trust", "{tmp}/anchors.pem"], "provenance", "c2pa"),
    ],
)
def test_every_optional_part_of_the_cli_says_its_extra_in_the_same_line(tmp_path, argv, extra, package):
    (tmp_path / "anchors.pem").write_text("")
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    code = f"import sys; sys.modules[{package!r}] = None\nfrom fakescope.cli.main import cli\ncli({argv!r})\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    (line,) = done.stderr.strip().splitlines()
    assert done.returncode == 1
    assert line.startswith("Error: ") and line.endswith(
        f"install the {extra} extra: pip install 'fakescope[{extra}]'"
    )
