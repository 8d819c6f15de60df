"""The explorer and the model report read only the folders they were given: offered as choices, typed ones
checked at once, everything else refused with one message that reveals nothing, paths shown from the root."""

from __future__ import annotations

import os

import pytest
from browser_support import MODEL_SEED, write_dataset
from onnx_fixtures import write_tiny_model

from fakescope.widgets import DatasetExplorer, ModelReport
from fakescope.widgets.env import DATA_ENV
from fakescope.widgets.folders import REFUSED, AllowedFolders


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """ROOT/allowed/faces (a dataset), ROOT/allowed/notes (not one), ROOT/secret/faces (outside), and a
    symbolic link inside the allowed root that leads to the secret one."""
    root = tmp_path_factory.mktemp("tree")
    write_dataset(root / "allowed" / "faces", per_class=2)
    (root / "allowed" / "notes").mkdir()
    write_dataset(root / "secret" / "faces", per_class=2)
    os.symlink(root / "secret", root / "allowed" / "link")
    return root


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("model") / "tiny.onnx", seed=MODEL_SEED)


def outside_spellings(tree) -> list[str]:
    return [
        "/",
        "/root",
        "~",
        "~/.ssh",
        "/etc/passwd",
        str(tree),
        str(tree / "secret" / "faces"),
        str(tree / "no-such-folder"),
        "allowed/../secret/faces",
        "allowed/../../..",
        "allowed/link/faces",
        "secret/faces",
        "../secret",
    ]


def test_every_folder_outside_the_roots_is_refused_with_the_same_message(tree, model):
    explorer = DatasetExplorer(roots=[tree / "allowed"])
    report = ModelReport(model, roots=[tree / "allowed"])
    for typed in outside_spellings(tree):
        for page, run in ((explorer, explorer.run), (report, report.evaluate)):
            page.folder.value = typed
            assert REFUSED in page.folder.note.value, typed
            assert run() is None
            assert REFUSED in page.folder.note.value and page.status.value == "", typed
            shown = page.folder.note.value + page.status.value
            assert str(tree) not in shown and "secret" not in shown


def test_names_the_system_refuses_are_refused_in_the_page_not_raised(tree, tmp_path):
    os.symlink("loop", tmp_path / "loop")  # a loop of symbolic links inside an allowed root
    explorer = DatasetExplorer(roots=[tree / "allowed", tmp_path])
    for typed, shown in (
        ("allowed/faces\x00", REFUSED),
        (f"{tmp_path.name}/loop", REFUSED),
        (f"{tmp_path.name}/loop/deeper", REFUSED),
        ("allowed/" + "a" * 300, "is not a folder"),
        ("allowed/" + "a/" * 3000, "is not a folder"),
    ):
        explorer.folder.value = "allowed/faces"  # a good folder first: nothing of it may stay behind
        assert explorer.folder.folder is not None
        explorer.folder.value = typed
        assert shown in explorer.folder.note.value and explorer.folder.folder is None, typed[:30]
        assert explorer.run() is None and explorer.status.value == ""
        assert str(tree) not in explorer.folder.note.value and str(tmp_path) not in explorer.folder.note.value


def test_the_given_folders_are_offered_and_shown_from_their_root(tree, monkeypatch):
    monkeypatch.setenv(DATA_ENV, os.pathsep.join([str(tree / "allowed"), str(tree / "allowed" / "faces")]))
    explorer = DatasetExplorer(workers=1)
    options = explorer.folder.combobox.options
    assert options[0] == "allowed" and "faces" in options
    assert not any(str(tree) in option for option in options)
    assert "allowed/notes" not in options  # only folders that hold a dataset are offered below a root
    explorer.folder.value = "faces"
    table = explorer.run()
    assert table is not None and len(table) == 12
    names = [trace["name"] for trace in explorer.grid.children[0].outputs[0]["data"][PLOTLY]["data"]]
    assert names and all(str(tree) not in name and "faces/" in name for name in names)


def test_a_typed_folder_is_checked_at_once_and_the_expected_layout_explained(tree):
    explorer = DatasetExplorer(roots=[tree / "allowed"])
    explorer.folder.value = "allowed/notes"
    note = explorer.folder.note.value
    assert "allowed/notes is not a dataset folder" in note and note.count("allowed/notes") == 1
    assert "real/ and fake/" in note and "fakescope data demo DIR" in note
    explorer.folder.value = "allowed/faces"
    assert "allowed/faces holds a dataset" in explorer.folder.note.value
    assert explorer.folder.folder == (tree / "allowed" / "faces").resolve()


def test_allowed_folders_resolve_labels_and_never_leave_the_roots(tree):
    folders = AllowedFolders.of([tree / "allowed", tree / "secret" / "faces"])
    assert folders.labels == ("allowed", "faces")
    assert folders.resolve("allowed/faces/train") == (tree / "allowed" / "faces" / "train").resolve()
    assert folders.resolve(str(tree / "allowed" / "notes")) == (tree / "allowed" / "notes").resolve()
    assert folders.label((tree / "secret" / "faces" / "test").resolve()) == "faces/test"
    message = f"{tree / 'allowed' / 'faces' / 'x.png'}: unreadable"
    assert folders.relabel(message) == "allowed/faces/x.png: unreadable"
    assert AllowedFolders.of(
        [tree / "allowed", tree / "secret" / "faces", tree / "allowed" / "faces"]
    ).labels == (
        "allowed",
        "faces",
        "faces (2)",
    )


PLOTLY = "application/vnd.plotly.v1+json"
