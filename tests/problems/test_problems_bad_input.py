"""Bad dataset files: every error names the file, the line and what is wrong."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pytest_recode import DatasetError, RecodeError, load_problems
from pytest_recode.problems import read_jsonl

ROW = {
    "task_id": "bad/0",
    "prompt": "def f() -> int:\n",
    "entry_point": "f",
    "canonical_solution": "    return 1\n",
    "test": "def check(candidate):\n    assert candidate() == 1\n",
}


def lines(*rows: object) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)


def load_text(tmp_path: Path, text: str, name: str = "data.jsonl") -> DatasetError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        load_problems(path)
    return info.value


def test_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    error = load_text(tmp_path, lines(ROW, '{"task_id": "bad/1", "prompt": '))
    assert str(error) == f"{tmp_path / 'data.jsonl'}:2: not valid JSON (Expecting value at column 32)."


def test_the_line_number_counts_blank_lines(tmp_path: Path) -> None:
    error = load_text(tmp_path, lines(ROW, "", "", "not json"))
    assert str(error).startswith(f"{tmp_path / 'data.jsonl'}:4: not valid JSON")


@pytest.mark.parametrize("field", ["task_id", "prompt", "entry_point", "canonical_solution", "test"])
def test_a_missing_field_is_named(tmp_path: Path, field: str) -> None:
    row = {k: v for k, v in ROW.items() if k != field}
    error = load_text(tmp_path, lines(row))
    assert str(error) == (
        f"{tmp_path / 'data.jsonl'}:1: the record has no field {field!r} "
        "(fields needed: task_id, prompt, entry_point, canonical_solution, test)."
    )


@pytest.mark.parametrize(("field", "value", "kind"), [("test", None, "NoneType"), ("task_id", 3, "int"),
                                                       ("prompt", ["def f():"], "list")])
def test_a_field_of_the_wrong_type_is_named(tmp_path: Path, field: str, value: object, kind: str) -> None:
    error = load_text(tmp_path, lines(ROW, {**ROW, "task_id": "bad/1", field: value}))
    assert str(error) == f"{tmp_path / 'data.jsonl'}:2: field {field!r} must be a string, found {kind}."


def test_a_row_that_is_not_an_object(tmp_path: Path) -> None:
    error = load_text(tmp_path, lines([1, 2]))
    assert str(error) == f"{tmp_path / 'data.jsonl'}:1: expected a JSON object, found list."


def test_an_entry_point_that_is_no_identifier(tmp_path: Path) -> None:
    error = load_text(tmp_path, lines({**ROW, "entry_point": "f()"}))
    assert str(error) == f"{tmp_path / 'data.jsonl'}:1: entry_point='f()' is not a Python identifier."


def test_duplicate_task_ids_name_both_lines(tmp_path: Path) -> None:
    error = load_text(tmp_path, lines(ROW, {**ROW, "task_id": "bad/1"}, ROW))
    assert str(error) == f"{tmp_path / 'data.jsonl'}:3: task_id 'bad/0' appears again (first on line 1)."


def test_an_empty_file(tmp_path: Path) -> None:
    assert str(load_text(tmp_path, "")) == f"{tmp_path / 'data.jsonl'}: holds no problems."
    assert str(load_text(tmp_path, "\n  \n")) == f"{tmp_path / 'data.jsonl'}: holds no problems."


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"nothing\.jsonl: no such file\.$"):
        load_problems(tmp_path / "nothing.jsonl")
    with pytest.raises(DatasetError, match=r"nothing\.jsonl\.gz: no such file\.$"):
        read_jsonl(tmp_path / "nothing.jsonl.gz")


def test_a_file_that_is_not_utf8_names_the_line_and_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    # many good lines first, so the bad byte lies beyond the first read buffer of a text stream
    good = "".join(json.dumps({**ROW, "task_id": f"bad/{i}"}) + "\n" for i in range(300))
    bad = json.dumps({**ROW, "task_id": "caf\u00e9"}, ensure_ascii=False).encode("latin-1") + b"\n"
    path.write_bytes(good.encode() + bad)
    offset = len(good.encode()) + bad.index(b"\xe9")
    with pytest.raises(DatasetError) as info:
        read_jsonl(path)
    assert str(info.value) == (
        f"{path}:301: not UTF-8 text (invalid continuation byte at byte {offset} of the file); "
        "save the file as UTF-8."
    )


def test_gzip_errors(tmp_path: Path) -> None:
    plain = tmp_path / "plain.jsonl.gz"
    plain.write_text(lines(ROW), encoding="utf-8")  # named .gz, not gzipped
    with pytest.raises(DatasetError, match=r"plain\.jsonl\.gz: cannot be read: Not a gzipped file"):
        read_jsonl(plain)
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(gzip.compress(lines(ROW, ROW).encode())[:-12])
    with pytest.raises(DatasetError, match=r"truncated\.jsonl\.gz: cannot be read: "):
        read_jsonl(truncated)


def test_a_gzipped_file_reports_lines_too(tmp_path: Path) -> None:
    path = tmp_path / "zipped.jsonl.gz"
    path.write_bytes(gzip.compress(lines(ROW, {**ROW, "task_id": 1}).encode()))
    with pytest.raises(DatasetError, match=r"zipped\.jsonl\.gz:2: field 'task_id' must be a string, found int\."):
        read_jsonl(path)


def test_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    with pytest.raises(DatasetError, match=r"folder\.jsonl: cannot be read: "):
        load_problems(folder)


def test_dataset_errors_are_value_errors_and_recode_errors(tmp_path: Path) -> None:
    error = load_text(tmp_path, "{")
    assert isinstance(error, ValueError) and isinstance(error, RecodeError)
