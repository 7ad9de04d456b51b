"""Every output goes through one writer: it replaces only a regular file or creates a new one,
follows the umask, keeps a replaced file's mode, and leaves no temporary file behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorstd import UsageError
from mentorstd._io import write_atomic

from .conftest import EXAMPLES

RIVERSIDE = EXAMPLES / "riverside"
ROOT = os.geteuid() == 0
_ARGS = ("-F", "eepm", "-f", "json", "-o")


def _validate(cli: Callable[..., Any], output: str) -> Any:
    return cli("validate", str(RIVERSIDE), "-F", "eepm", "-f", "json", "-o", output)


def _one_error_line(result: Any) -> str:
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("mentorstd: error: ")
    return str(lines[0])


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_fifo_is_refused_and_left_alone(cli: Callable[..., Any], tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    line = _one_error_line(_validate(cli, str(fifo)))
    assert f"{fifo}: is a FIFO (named pipe)" in line
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert _leftovers(tmp_path) == []


def test_a_symlink_to_a_fifo_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "out.json"
    link.symlink_to(fifo)
    assert "is a FIFO" in _one_error_line(_validate(cli, str(link)))
    assert link.is_symlink()
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_directory_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    line = _one_error_line(_validate(cli, str(tmp_path)))
    assert f"{tmp_path}: is a directory" in line
    assert _leftovers(tmp_path.parent) == []


def test_a_missing_folder_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    target = tmp_path / "nope" / "report.json"
    line = _one_error_line(_validate(cli, str(target)))
    assert f"folder {tmp_path / 'nope'} does not exist" in line
    assert not (tmp_path / "nope").exists()


def test_empty_and_nul_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="the output file name is empty"):
        write_atomic("", "x")
    with pytest.raises(UsageError, match="NUL byte"):
        write_atomic(str(tmp_path / "a\0b"), "x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_proc_is_refused(cli: Callable[..., Any]) -> None:
    assert "/proc: is a directory" in _one_error_line(_validate(cli, "/proc"))
    assert "/proc/mentorstd-report.json: cannot write" in _one_error_line(
        _validate(cli, "/proc/mentorstd-report.json")
    )


@pytest.mark.skipif(ROOT, reason="root may write into a read-only folder")
def test_a_read_only_folder_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        line = _one_error_line(_validate(cli, str(folder / "r.json")))
    finally:
        folder.chmod(0o700)
    assert "cannot write: Permission denied" in line


@pytest.mark.skipif(ROOT, reason="as root a regression would replace the real /dev/null")
def test_dev_null_is_never_replaced(cli: Callable[..., Any]) -> None:
    assert "/dev/null: is a device" in _one_error_line(_validate(cli, "/dev/null"))
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="needs /dev/stdout")
def test_dev_stdout_as_a_pipe_is_refused_with_a_hint() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mentorstd", "validate", str(RIVERSIDE), *_ARGS, "/dev/stdout"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("mentorstd: error: /dev/stdout: is a FIFO")
    assert "give -o - for standard output" in result.stderr
    assert result.stdout == ""


def test_dash_writes_to_standard_output(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = _validate(cli, "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("{")
    assert "wrote" not in result.stderr


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = write_atomic(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_replaced_file_keeps_its_mode(cli: Callable[..., Any], tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o604)
    assert _validate(cli, str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("{")
    assert stat.S_IMODE(target.stat().st_mode) == 0o604


def test_a_replaced_file_keeps_no_set_id_bits(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o4755 | stat.S_ISGID)
    write_atomic(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_a_symlink_to_a_file_writes_the_file(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "new"


def test_an_interrupted_write_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.txt"
    target.write_text("old", encoding="utf-8")

    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert _leftovers(tmp_path) == []


def test_writing_inside_the_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="refusing to write inside the input"):
        write_atomic(tmp_path / "b" / "r.json", "x", protect=[tmp_path / "b"])


_names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"), min_size=1
).filter(lambda n: n not in {".", ".."} and len(n.encode("utf-8")) < 200)


@settings(max_examples=60, deadline=None)
@given(name=_names, data=st.binary(max_size=2048) | st.text(max_size=512))
def test_writing_any_name_round_trips_or_is_refused(
    tmp_path_factory: pytest.TempPathFactory, name: str, data: str | bytes
) -> None:
    """Any name and content: the file holds exactly the data, or a UsageError says why; no
    temporary file is ever left behind."""
    folder = tmp_path_factory.mktemp("w")
    try:
        path = write_atomic(folder / name, data)
    except UsageError as err:
        assert str(err).strip() and "\n" not in str(err)
    else:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        assert path.read_bytes() == raw
        assert stat.S_ISREG(path.lstat().st_mode)
    assert _leftovers(folder) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_init_into_an_unwritable_place_exits_2(cli: Callable[..., Any]) -> None:
    line = _one_error_line(cli("init", "/proc/mentorstd-new-bundle"))
    assert "/proc/mentorstd-new-bundle: cannot write" in line


@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_a_run_started_with_a_closed_stream_still_ends_cleanly(closed: str, tmp_path: Path) -> None:
    """Python starts with sys.stdout (or sys.stderr) as None when that descriptor is closed;
    the report is still written and the exit code is the run's."""
    out = tmp_path / "report.json"
    fd = 1 if closed == "stdout" else 2
    command = [sys.executable, "-m", "mentorstd", "validate", str(EXAMPLES / "riverside")]
    command += ["-F", "eepm", "-o", str(out)]
    script = "import os, sys; os.close(int(sys.argv[1])); os.execv(sys.argv[2], sys.argv[2:])"
    result = subprocess.run(
        [sys.executable, "-c", script, str(fd), *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0
    assert "Traceback" not in result.stderr
