"""VarRenamerCB with a tiny masked LM built offline: the plumbing (load once, batch, valid fresh names,
scope-aware and behaviour-preserving renames), not the quality of the names."""

from __future__ import annotations

import pytest

from pytest_recode.problems import Problem, load_problems, partial_variant
from pytest_recode.transforms import Edit, NotApplicable, Perturbation, TransformConfig, get_transform
from pytest_recode.transforms import _var_renamer_cb
from pytest_recode.transforms._code import is_free_identifier
from pytest_recode.transforms._rename import identifiers

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

HUMANEVAL = [partial_variant(p) or p for p in load_problems("humaneval")]


@pytest.fixture(scope="module")
def masked_model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A byte-level BPE tokenizer trained on HumanEval's code and a one-layer RoBERTa with random weights."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaForMaskedLM

    path = tmp_path_factory.mktemp("tiny-codebert")
    trainer = ByteLevelBPETokenizer()
    corpus = [p.prompt + p.canonical_solution for p in HUMANEVAL]
    trainer.train_from_iterator(corpus, vocab_size=800, min_frequency=2,
                                special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=trainer, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        mask_token="<mask>", cls_token="<s>", sep_token="</s>", model_max_length=128,
    )
    torch.manual_seed(0)
    config = RobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=130, pad_token_id=tokenizer.pad_token_id,
                           bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    RobertaForMaskedLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def renamer(masked_model_dir: str):  # type: ignore[no-untyped-def]
    transform = get_transform("VarRenamerCB", TransformConfig(masked_code_model=masked_model_dir))
    transform.prefetch(HUMANEVAL[:12])
    return transform


def _passes(problem: Problem) -> bool:
    namespace: dict[str, object] = {}
    exec(problem.prompt + problem.canonical_solution + "\n" + problem.test, namespace)  # noqa: S102 - trusted
    namespace["check"](namespace[problem.entry_point])  # type: ignore[operator]
    return True


def test_without_a_model_it_says_what_to_pass() -> None:
    transform = get_transform("VarRenamerCB")
    assert "masked_code_model" in (transform.unavailable() or "")
    result = transform.perturb(HUMANEVAL[0])
    assert isinstance(result, NotApplicable) and "masked code model" in result.reason


def test_a_missing_directory_is_reported() -> None:
    transform = get_transform("VarRenamerCB", TransformConfig(masked_code_model="/nonexistent/model"))
    assert transform.unavailable() == "masked_code_model='/nonexistent/model' is not a directory"


def test_renames_are_valid_fresh_identifiers_and_keep_behaviour(renamer) -> None:  # type: ignore[no-untyped-def]
    changed = 0
    for problem in HUMANEVAL[:12]:
        result = renamer.perturb(problem)
        if isinstance(result, NotApplicable):
            continue
        site = renamer.sites(problem)[0]
        new = site.options[0]
        taken = identifiers(problem.prompt, problem.canonical_solution, problem.test)
        assert is_free_identifier(new, taken)  # an identifier, no keyword or builtin, used nowhere yet
        assert _passes(result.perturbed)
        changed += result.changed
    assert changed >= 6


def test_the_rename_touches_exactly_what_the_naive_renamer_touches(renamer) -> None:  # type: ignore[no-untyped-def]
    naive = get_transform("VarRenamerNaive")
    for problem in HUMANEVAL[:8]:
        cb_sites, naive_sites = renamer.sites(problem), naive.sites(problem)
        if not cb_sites:
            continue
        assert cb_sites[0].original == naive_sites[0].original
        cb = renamer.perturb_with(problem, [Edit(0)])
        by_naive = naive.perturb_with(problem, [Edit(0)])
        assert isinstance(cb, Perturbation) and isinstance(by_naive, Perturbation)
        expected = by_naive.perturbed.prompt.replace(naive_sites[0].options[0], cb_sites[0].options[0])
        assert cb.perturbed.prompt == expected


def test_the_model_is_loaded_once_and_inputs_are_batched(masked_model_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _var_renamer_cb.load_masked_model.cache_clear()
    renamer = get_transform("VarRenamerCB", TransformConfig(masked_code_model=masked_model_dir))
    calls: list[int] = []
    original = _var_renamer_cb._rank

    def counting(model, texts, top_k, batch_size):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return original(model, texts, top_k, batch_size)

    monkeypatch.setattr(_var_renamer_cb, "_rank", counting)
    renamer.prefetch(HUMANEVAL[12:20])
    assert len(calls) == 1 and calls[0] > 8  # every variable of eight programs in one call
    for problem in HUMANEVAL[12:20]:
        renamer.perturb(problem)
    assert len(calls) == 1  # nothing left to score
    other = get_transform("VarRenamerCB", TransformConfig(masked_code_model=masked_model_dir))
    other.perturb(HUMANEVAL[20])
    assert _var_renamer_cb.load_masked_model.cache_info().misses == 1
