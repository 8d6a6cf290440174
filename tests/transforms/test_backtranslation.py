"""BackTranslation plumbing with tiny seq2seq models built offline (random weights: no translation quality)."""

from __future__ import annotations

import pytest

from pytest_recode.problems import Problem
from pytest_recode.transforms import NotApplicable, TransformConfig, get_transform
from pytest_recode.transforms._nl import text_view

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

_CORPUS = [
    "return the sum of all numbers in the list",
    "check if the string is a palindrome and return true",
    "gib die summe aller zahlen in der liste zurueck",
    "pruefe ob die zeichenkette ein palindrom ist",
    "the function takes a list of words and counts them",
    "die funktion nimmt eine liste von woertern",
]


def _build(directory: str, seed: int) -> str:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import BartConfig, BartForConditionalGeneration, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    specials = ["[PAD]", "[UNK]", "[BOS]", "[EOS]"]
    tokenizer.train_from_iterator(_CORPUS, trainers.WordLevelTrainer(special_tokens=specials))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="[PAD]", unk_token="[UNK]", bos_token="[BOS]", eos_token="[EOS]"
    )
    fast.save_pretrained(directory)
    ids = {t: fast.convert_tokens_to_ids(t) for t in specials}
    config = BartConfig(
        vocab_size=len(fast), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=300,
        pad_token_id=ids["[PAD]"], bos_token_id=ids["[BOS]"], eos_token_id=ids["[EOS]"],
        decoder_start_token_id=ids["[BOS]"], forced_eos_token_id=None,
    )
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(config)
    with torch.no_grad():  # random weights, but words rather than padding or unknowns come out
        for token in ("[PAD]", "[UNK]", "[BOS]"):
            model.final_logits_bias[0, ids[token]] = -1e4
        model.final_logits_bias[0, ids["[EOS]"]] = 1e4  # stop as soon as min_new_tokens allows: fast
    model.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("translation")
    return _build(str(root / "en-de"), 1), _build(str(root / "de-en"), 2)


PROMPT = '''def count_words(items: list) -> int:
    """Count the words in the given text and return the total.
    The list items may be empty, then return 0.
    Here the value 'a' counts as a word.
    >>> count_words(['a', 'b'])
    2
    """
'''


def _problem(task_id: str = "T/0", prompt: str = PROMPT) -> Problem:
    return Problem(task_id, prompt, "count_words", "    return len(items)\n", "def check(c):\n    assert c([]) == 0\n")


def test_without_models_it_says_why() -> None:
    transform = get_transform("BackTranslation")
    reason = transform.unavailable()
    assert reason is not None and "translation_models" in reason
    result = transform.perturb(_problem())
    assert isinstance(result, NotApplicable) and result.reason == reason


def test_missing_directory_is_named(tmp_path) -> None:
    missing = str(tmp_path / "nope")
    transform = get_transform("BackTranslation", TransformConfig(translation_models=(missing, missing)))
    assert missing in (transform.unavailable() or "")


def test_only_plain_sentences_change(models: tuple[str, str]) -> None:
    from pytest_recode.transforms._backtranslation import load_translator

    transform = get_transform("BackTranslation", TransformConfig(translation_models=models))
    problem = _problem()
    result = transform.perturb(problem)
    assert result and result.changed
    prompt = result.perturbed.prompt
    view = text_view(problem.prompt, problem.entry_point)
    assert view is not None
    # Outside the first sentence (the only one with no identifier, quote or code) nothing changed.
    first = [s for s in transform.sites(problem)]
    assert len(first) == 1 and first[0].original == "Count the words in the given text and return the total."
    sentence_start = problem.prompt.index("Count")
    sentence_end = problem.prompt.index("total.") + len("total.")
    assert prompt[:sentence_start] == problem.prompt[:sentence_start]
    assert prompt.endswith(problem.prompt[sentence_end:])
    assert "The list items may be empty, then return 0." in prompt  # mentions the parameter `items`
    assert "Here the value 'a' counts as a word." in prompt  # quoted value
    assert ">>> count_words(['a', 'b'])\n    2\n" in prompt
    compile(prompt + problem.canonical_solution, "perturbed", "exec")
    assert load_translator.cache_info().currsize >= 2


def test_models_load_once_and_problems_batch(models: tuple[str, str]) -> None:
    from pytest_recode.transforms._backtranslation import load_translator

    transform = get_transform("BackTranslation", TransformConfig(translation_models=models))
    before = load_translator.cache_info().misses
    en_de = load_translator(models[0], "cpu")
    calls = en_de.generate_calls
    problems = [
        _problem(f"T/{i}", PROMPT.replace("Count the words", f"Count the words {'and check them ' * i}"))
        for i in range(20)
    ]
    transform.prepare(problems)
    # 20 distinct sentences, batches of 16: two calls per direction, not one per problem.
    assert en_de.generate_calls - calls == 2
    for problem in problems:
        transform.perturb(problem)
    assert en_de.generate_calls - calls == 2  # every problem came from the cache
    other = get_transform("BackTranslation", TransformConfig(translation_models=models))
    other.perturb(_problem("T/99", PROMPT.replace("Count", "Now count")))
    assert load_translator.cache_info().misses == before  # a second instance reuses the loaded models
