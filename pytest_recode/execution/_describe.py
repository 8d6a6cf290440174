"""The judge's account of an exception that ended the tests: its type, message and traceback (part of the
worker; loaded only when a test fails).

Standard library only. An exception the program raised in a call comes to the judge as a name, a message
and the frames it passed through (see ``_program.py``); its traceback here is the tests' frames followed
by the program's, with the source lines of ``program.py`` and ``test.py``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["describe"]

_MESSAGE_LIMIT = 2000
_TRACEBACK_LIMIT = 4000


def describe(exc: BaseException, job: dict[str, Any], program: memoryview) -> dict[str, Any]:
    remote = getattr(exc, "recode_message", None)
    name = type(exc).__name__
    try:
        if remote is not None:
            message = remote
        elif isinstance(exc, SystemExit):
            message = f"the program called exit({exc.code!r}) before the end"
        else:
            message = str(exc)
    except BaseException:  # noqa: BLE001
        message = "<the exception could not be printed>"
    try:
        import traceback  # only now: in the judge of a failing program

        text = _program_text(program)
        _remember("program.py", text)
        if job.get("test") is not None:
            _remember("test.py", job["test"])
        lines = [line for line in traceback.format_exception(type(exc), exc, exc.__traceback__)
                 if "recode_sandbox" not in line]
        if remote is not None and lines:
            lines[-1:-1] = _program_frames(getattr(exc, "recode_frames", []), text)
        trace = "".join(lines)
    except BaseException:  # noqa: BLE001
        trace = ""
    return {"status": "failed", "exception_type": name, "message": message[:_MESSAGE_LIMIT],
            "traceback": trace[-_TRACEBACK_LIMIT:]}


def _program_text(program: memoryview) -> str:
    return bytes(program).decode("utf-8", "surrogatepass")


def _remember(filename: str, source: str) -> None:
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def _program_frames(frames: Any, text: str) -> list[str]:
    """The frames of the program's side, as a traceback shows them (source lines of program.py only: no
    file the program names is opened here)."""
    lines = text.splitlines()
    shown = []
    for frame in frames:
        if type(frame) is not list or len(frame) != 3:
            continue
        filename, number, function = frame
        if type(filename) is not str or type(number) is not int or type(function) is not str:
            continue
        shown.append(f'  File "{filename[:200]}", line {number}, in {function[:200]}\n')
        if filename == "program.py" and 0 < number <= len(lines) and lines[number - 1].strip():
            shown.append(f"    {lines[number - 1].strip()}\n")
    return shown
