"""The natural-language helpers: docstring location, protection, tags, inflection, WordNet, keyboard."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pytest_recode._errors import ResourceMissing
from pytest_recode.transforms._nl import (
    code_names,
    inflections,
    locate_docstring,
    neighbours,
    pos_tags,
    text_view,
    word_inflections,
)

PROMPT = '''from typing import List


def below(numbers: List[int], limit: int) -> bool:
    """ Return True if all numbers are below limit. Use 'x' as the marker, see f(x) and arr[i].
    >>> below([1, 2], 3)
    True
    """
'''


def test_docstring_region_stops_before_the_first_example() -> None:
    doc = locate_docstring(PROMPT, "below")
    assert doc is not None
    assert PROMPT[doc.literal_start : doc.literal_start + 3] == '"""'
    assert PROMPT[doc.literal_end - 3 : doc.literal_end] == '"""'
    assert doc.text(PROMPT).strip() == "Return True if all numbers are below limit. Use 'x' as the marker, see f(x) and arr[i]."


def test_docstring_without_example_is_the_whole_body() -> None:
    prompt = "def f(a):\n    '''Add one to a.'''\n"
    doc = locate_docstring(prompt, "f")
    assert doc is not None and doc.text(prompt) == "Add one to a." and prompt[doc.text_end :] == "'''\n"


def test_docstring_after_an_import_in_the_body() -> None:
    prompt = 'def g(x):\n    import math\n    """Round x up."""\n'
    doc = locate_docstring(prompt, "g")
    assert doc is not None and doc.text(prompt) == "Round x up."


@pytest.mark.parametrize("prompt", ["def f(a):\n    return a\n", "def f(:\n", "x = 1\n"])
def test_no_docstring(prompt: str) -> None:
    assert locate_docstring(prompt, "f") is None and text_view(prompt, "f") is None


def test_protection() -> None:
    view = text_view(PROMPT, "below")
    assert view is not None
    protected = {p.text for p in view.pieces if p.protected}
    assert {"True", "numbers", "limit", "'x'", "f(x)", "arr[i]"} <= protected
    assert [w.text for w in view.words] == ["Return", "if", "all", "are", "Use", "as", "the", "marker", "see", "and"]
    assert "List" in code_names(PROMPT, "below") and "below" in code_names(PROMPT, "below")


def test_code_lines_are_protected_whole() -> None:
    prompt = 'def h(s):\n    """Count vowels.\n    Example:\n    h("abc") should return 1\n    > 3.7   A\n    """\n'
    view = text_view(prompt, "h")
    assert view is not None
    assert [w.text for w in view.words] == ["Count", "vowels", "Example"]


def test_tags_fix_the_constructions_docstrings_use() -> None:
    prompt = 'def f(s):\n    """Write a function that takes a string and returns the count. You have to count it."""\n'
    view = text_view(prompt, "f")
    assert view is not None
    tags = dict(zip((p.text for p in view.pieces), pos_tags(view.pieces)))
    assert tags["Write"] == "VB" and tags["takes"] == "VBZ" and tags["returns"] == "VBZ"
    assert tags["have"] == "VBP" and tags["count"] in ("VB", "NN")


def test_inflections() -> None:
    assert inflections("sorted", "VBN")[:2] == ("sort", "sorts")
    assert "elements" in inflections("element", "NN")
    assert {"had", "have"} <= set(word_inflections("has"))


def test_keyboard_neighbours() -> None:
    assert neighbours("a") == ("s", "q", "w", "z")
    assert neighbours("G")[:2] == ("F", "H")
    assert neighbours("_") == ()


def test_wordnet_missing_names_the_command(tmp_path) -> None:
    code = (
        "from pytest_recode.transforms._nl import wordnet, wordnet_missing\n"
        "from pytest_recode.transforms import get_transform\n"
        "print(wordnet_missing())\n"
        "print(get_transform('SynonymSubstitution').unavailable() == wordnet_missing())\n"
        "try:\n    wordnet()\nexcept LookupError as exc:\n    print(type(exc).__name__)\n"
    )
    env = dict(os.environ, NLTK_DATA=str(tmp_path), HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert "corpora/wordnet" in lines[0] and "install-wordnet.sh" in lines[0]
    assert lines[1:] == ["True", ResourceMissing.__name__]


def test_install_script_is_idempotent_on_an_existing_copy(tmp_path) -> None:
    script = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "install-wordnet.sh")
    if not os.path.isfile("/usr/share/wordnet/index.sense"):
        pytest.skip("Debian's wordnet-base and wordnet-sense-index are not installed here")
    first = subprocess.run(["bash", script, str(tmp_path)], capture_output=True, text=True, check=True).stdout
    second = subprocess.run(["bash", script, str(tmp_path)], capture_output=True, text=True, check=True).stdout
    assert "installed in" in first and "already installed" in second
    lexnames = (tmp_path / "corpora" / "wordnet" / "lexnames").read_text().splitlines()
    assert len(lexnames) == 45 and lexnames[3] == "03\tnoun.Tops\t1" and lexnames[44] == "44\tadj.ppl\t3"
