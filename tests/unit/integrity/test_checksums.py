"""checksums.sha256 of a downloaded model folder: it names files inside the folder only, and every
entry is checked before any file is opened, so a folder cannot make arxivist read, hash and
report on other files of the machine (`arxivist predict` runs it:
tests/unit/model/test_predict.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arxivist.integrity.checksums import (
    CHECKSUMS,
    ModelIntegrityError,
    sha256_file,
    verify_folder,
    write_checksums,
)

SECRET = b"root:x:0:0:root:/root:/bin/bash\n"
TAIL = (
    "a checksum list names only files inside its folder; "
    "this folder is not as publish writes it: do not use it"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A checked folder with a nested file, beside a secret file and folder of the machine."""
    (tmp_path / "secret").write_bytes(SECRET)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "shadow").write_bytes(SECRET)
    model = tmp_path / "model"
    (model / "onnx").mkdir(parents=True)
    (model / "config.json").write_text('{"model_type": "bert"}\n')
    (model / "onnx" / "model.onnx").write_bytes(b"\x08\x07graph")
    write_checksums(model)
    return model


def add_entry(folder: Path, name: str, digest: str | None = None) -> int:
    """Append `name` to the folder's checksum list, with the true sha256 of what it would open (when
    it opens anything) or `digest`; return its line number."""
    target = folder / name
    if digest is None:
        digest = sha256_file(target) if target.is_file() else "0" * 64
    with (folder / CHECKSUMS).open("a", encoding="utf-8") as listed:
        listed.write(f"{digest}  {name}\n")
    return len((folder / CHECKSUMS).read_text(encoding="utf-8").splitlines())


def refusal(folder: Path) -> str:
    with pytest.raises(ModelIntegrityError) as caught:
        verify_folder(folder)
    return str(caught.value)


def test_a_nested_entry_verifies_and_its_damage_is_named(folder: Path) -> None:
    assert "onnx/model.onnx" in (folder / CHECKSUMS).read_text()
    assert verify_folder(folder) is True
    (folder / "onnx" / "model.onnx").write_bytes(b"changed")
    assert refusal(folder).startswith(f"{folder / 'onnx' / 'model.onnx'}: damaged")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../secret", "a '..' part"),
        ("../../../../../../../../../etc/passwd", "a '..' part"),
        ("onnx/../../secret", "a '..' part"),
        ("ABSOLUTE", "an absolute path"),
        ("..\\secret", "a backslash"),
        ("onnx\\model.onnx", "a backslash"),
        ("./config.json", "an empty or '.' part"),
        ("onnx//model.onnx", "an empty or '.' part"),
        ("onnx/", "an empty or '.' part"),
        ("config.json\x00", "a control character"),
        ("config.json\x1b[2K", "a control character"),
    ],
)
def test_a_name_that_is_not_plain_and_relative_is_refused_naming_entry_and_line(
    folder: Path, name: str, problem: str
) -> None:
    name = name.replace("ABSOLUTE", str(folder.parent / "secret"))
    line = add_entry(folder, name)
    assert refusal(folder) == (
        f"{folder / CHECKSUMS}, line {line}: refused entry {name!r} ({problem}): {TAIL}"
    )


@pytest.mark.parametrize("link", ["file", "folder", "loop"])
def test_a_symlink_that_leaves_the_folder_is_refused(folder: Path, link: str) -> None:
    if link == "file":
        (folder / "vocab.txt").symlink_to(folder.parent / "secret")
        name = "vocab.txt"
    elif link == "folder":
        (folder / "extra").symlink_to(folder.parent / "etc")
        name = "extra/shadow"
    else:
        (folder / "a").symlink_to("b")
        (folder / "b").symlink_to("a")
        name = "a"
    line = add_entry(folder, name)
    assert refusal(folder).startswith(
        f"{folder / CHECKSUMS}, line {line}: refused entry {name!r} (a symlink that does not "
        "resolve inside the folder): "
    )


@pytest.mark.parametrize("digest", ["true", "wrong"])
def test_the_answer_says_nothing_about_the_file_outside(folder: Path, digest: str) -> None:
    """A right and a wrong hash of /etc/shadow get the same answer: no oracle."""
    name = str(folder.parent / "etc" / "shadow")
    add_entry(folder, name, None if digest == "true" else "f" * 64)
    assert refusal(folder).endswith(f"refused entry {name!r} (an absolute path): {TAIL}")


def test_every_entry_is_checked_before_any_file_is_hashed(folder: Path) -> None:
    """The first entry's file is damaged; the last entry is refused: the refusal comes first, so
    nothing was hashed before all entries were checked."""
    (folder / "config.json").write_text("{}")
    add_entry(folder, "../secret")
    assert "refused entry '../secret'" in refusal(folder)


def test_a_checksum_list_that_is_a_symlink_out_of_the_folder_is_refused(folder: Path) -> None:
    outside = folder.parent / "manifest"
    (folder / CHECKSUMS).rename(outside)
    (folder / CHECKSUMS).symlink_to(outside)
    assert refusal(folder).startswith(
        f"{folder / CHECKSUMS}: a symlink that does not resolve inside the folder; "
    )


@pytest.mark.parametrize("link", ["file", "folder"])
def test_writing_a_checksum_list_refuses_a_symlink_out_of_the_folder(
    folder: Path, link: str
) -> None:
    """write_checksums (the publish stage) hashes nothing outside the folder either."""
    target = folder.parent / ("secret" if link == "file" else "etc")
    (folder / "linked").symlink_to(target)
    before = (folder / CHECKSUMS).read_bytes()
    with pytest.raises(ModelIntegrityError, match=r"linked: a symlink that does not resolve"):
        write_checksums(folder)
    assert (folder / CHECKSUMS).read_bytes() == before


def test_a_symlink_inside_the_folder_is_listed_and_verified(folder: Path) -> None:
    os.symlink("config.json", folder / "config.link.json")
    write_checksums(folder)
    assert "  config.link.json\n" in (folder / CHECKSUMS).read_text()
    assert verify_folder(folder) is True
