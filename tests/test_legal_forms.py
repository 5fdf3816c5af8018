"""Legal forms: set aside whole, whatever a typist did to them, and never mistaken for names."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from service.normalize.legal_forms import (
    GLUED_SEQUENCE_PARTS,
    legal_form_typo,
    rejoin_split_forms,
    strip_legal_forms,
)


@pytest.mark.parametrize(
    ("tokens", "kept", "removed"),
    [
        ("public joint stock company polyus", "polyus", "public joint stock company"),
        ("public joint company stock polyus", "polyus", "public joint company stock"),  # words swapped
        ("jiont stok coompany aman", "aman", "jiont stok coompany"),  # a typo in each word
        ("limiteed liabilty ompany noelco", "noelco", "limiteed liabilty ompany"),
        (
            "obshchestvo s ogranichennoi otvetstvennostyu markus",
            "markus",
            "obshchestvo s ogranichennoi otvetstvennostyu",
        ),
        (
            "otkrytoe aktsionernoe obshchestvo tekhnopromeksport",
            "tekhnopromeksport",
            "otkrytoe aktsionernoe obshchestvo",
        ),
        ("kral aviation ltd sti", "kral aviation", "ltd sti"),
        # Form words that are not in a form sequence stay: "Public Security Bureau", "Open Society".
        ("public security bureau", "public security bureau", ""),
        ("open society foundation", "open society foundation", ""),
        # A name that is nothing but a form keeps its tokens.
        ("limited", "limited", ""),
    ],
)
def test_strip_legal_forms(tokens: str, kept: str, removed: str) -> None:
    assert strip_legal_forms(tuple(tokens.split())) == (tuple(kept.split()), tuple(removed.split()))


@pytest.mark.parametrize(
    ("token", "form"),
    [("ojscx", "ojsc"), ("cjsdc", "cjsc"), ("copr", "corp"), ("corrp", "corp"), ("gmbk", "gmbh"),
     ("lmiited", "limited"), ("imied", "limited"),  # two edits only from seven letters
     ("maria", None), ("linda", None), ("corti", None), ("inca", None), ("ltda", None)],
)  # fmt: skip
def test_legal_form_typo(token: str, form: str | None) -> None:
    assert legal_form_typo(token) == form


def test_split_forms_are_rejoined_but_a_name_letter_is_not_glued_to_a_form() -> None:
    assert rejoin_split_forms(("peleng", "com", "pany")) == ("peleng", "company")
    # "M Limited" in "W & M Limited Partnership": "mlimited" is one typo from "limited",
    # but "limited" is already a form word, so the letter stays a name part.
    assert rejoin_split_forms(("w", "m", "limited", "partnership")) == ("w", "m", "limited", "partnership")


def test_glued_form_words_are_known_with_their_parts() -> None:
    assert GLUED_SEQUENCE_PARTS["jointstock"] == ("joint", "stock")
    assert GLUED_SEQUENCE_PARTS["coltd"] == ("co", "ltd")
    assert GLUED_SEQUENCE_PARTS["otkrytoeaktsionernoe"] == ("otkrytoe", "aktsionernoe")
    assert "sa" not in GLUED_SEQUENCE_PARTS  # too short to split safely


# Listed names whose legal form has a typo near two sequence words ("aktsionernoy": "aktsionerno"
# or "aktsionernoe"; "otvetstvennostiyu": "otvetstvennostiu" or "otvetstvennostyu").
_AMBIGUOUS_TYPOS = (
    ("publichnoe", "aktsionernoy", "obshchestvo", "rostelekom"),
    ("slavkali", "inostrannoe", "obshchestvo", "s", "ogranichennoi", "otvetstvennostiyu"),
)


def test_a_typo_near_two_sequence_words_is_read_as_either() -> None:
    assert strip_legal_forms(_AMBIGUOUS_TYPOS[0]) == (
        ("rostelekom",),
        ("publichnoe", "aktsionernoy", "obshchestvo"),
    )
    assert strip_legal_forms(_AMBIGUOUS_TYPOS[1])[0] == ("slavkali", "inostrannoe")


def test_legal_forms_are_set_aside_alike_in_every_process() -> None:
    """Each process (server worker, replay) hashes strings with its own seed: the first typo reading
    found in a set used to differ between them, and with it the tokens indexed and the scores."""
    code = (
        "from service.normalize.legal_forms import strip_legal_forms; "
        f"print([strip_legal_forms(tokens) for tokens in {_AMBIGUOUS_TYPOS!r}])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(6)
    }
    assert outputs == {f"{[strip_legal_forms(tokens) for tokens in _AMBIGUOUS_TYPOS]!r}\n"}
