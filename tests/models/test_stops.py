from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pytest_recode.models import DEFAULT_STOP, cut_at_stop
from pytest_recode.models._stops import StopChecker, find_stop


def test_cut_at_first_of_several() -> None:
    text = "    return x\nprint(f(1))\nif __name__ == '__main__':\n"
    assert cut_at_stop(text, DEFAULT_STOP) == "    return x"


def test_no_stop_keeps_everything() -> None:
    assert cut_at_stop("    return x\n", ("\nprint(",)) == "    return x\n"


def test_stop_right_after_a_prompt_newline() -> None:
    # The completion starts a line, so "\nprint(" matches across the prompt's last newline.
    assert cut_at_stop("print(1)\n", ("\nprint(",), prompt="def f():\n    pass\n") == ""
    assert cut_at_stop("print(1)\n", ("\nprint(",), prompt="def f():\n    x = ") == "print(1)\n"


def test_match_wholly_inside_the_tail_does_not_count() -> None:
    assert find_stop("abc", ("\n",), prompt_tail="\n") is None


class _Tok:
    def batch_decode(self, rows: list[list[int]], skip_special_tokens: bool = True) -> list[str]:
        return ["".join(chr(t) for t in row) for row in rows]


def test_checker_marks_rows_and_skips_finished_ones() -> None:
    checker = StopChecker(_Tok(), ("\nx",), ["", ""], interval=2)
    assert not checker.due(1) and checker.due(2)
    rows = [[ord(c) for c in "a\nxb"], [ord(c) for c in "abcd"]]
    assert checker.update(rows, [True, True]) == [0]
    assert checker.update(rows, [True, True]) == []
    assert checker.stopped == [True, False]


@given(st.text(alphabet="ab\n(#p", max_size=40), st.lists(st.text(alphabet="ab\n(#p", min_size=1, max_size=3), max_size=3))
def test_cut_is_a_prefix_without_stops(text: str, stops: list[str]) -> None:
    cut = cut_at_stop(text, stops)
    assert text.startswith(cut)
    assert not any(s in cut for s in stops)
    if cut != text:
        assert any(text[len(cut):].startswith(s) for s in stops)


def test_checker_window_finds_a_late_stop_and_confirms_it() -> None:
    checker = StopChecker(_Tok(), ("\nx",), [""], interval=1)
    assert checker.window == 1 + 8 + 1
    row = [ord(c) for c in "a" * 50 + "\nx"]
    assert checker.update([row[:51]], [True]) == []
    assert checker.update([row], [True]) == [0]
