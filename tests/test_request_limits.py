"""The cap on what one request may cost: words per name, characters per word, words per party.

The cap is defined and measured in service/api/validation.py; speed is not asserted here (a
unit test is no benchmark). What is: each refusal names the field and says what to do, every
way in (Screen, ScreenBatch items, registration) gets the same cap, and no real party is refused:
the longest listed names, every listed party with all its names, 100 ordinary alternative names.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import grpc
import pytest

from service.api.gen import screening_pb2 as pb
from service.api.gen import screening_pb2_grpc as pb_grpc
from service.api.registration import registered_parties
from service.api.validation import (
    LONG_WORD_CHARS,
    MAX_ALTERNATIVE_NAMES,
    MAX_NAME_WORDS,
    MAX_PARTY_WORDS,
    MAX_WORD_CHARS,
    InvalidArgument,
    name_words,
    validate_party,
    validate_request,
)
from service.catalog import load_catalog
from service.evaluation.lists import load_mirror
from service.model import Entry
from service.normalize.names import name_tokens
from tests.conftest import FIXTURES

# Ordinary name parts, for parties that must pass.
GIVEN = ["Mohammed", "Ali", "Hassan", "Ahmad", "Omar", "Yusuf", "Ibrahim", "Khalid", "Fatima", "Aisha", "Ivan", "Olga"]
FAMILY = ["Al-Hassan", "Haddad", "Khoury", "Rahman", "Petrov", "Ivanova", "Nasser", "Saleh", "Mansour", "Aziz"]
# A few trade.gov CSL rows carry a Windows-1252 byte read as a C1 control ("Xi\x92an"), which the API
# refuses whatever the cap; a caller would send the apostrophe.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def words(count: int, word: str = "al") -> str:
    return " ".join([word] * count)


def refusal(party: pb.Party) -> InvalidArgument:
    with pytest.raises(InvalidArgument) as caught:
        validate_party(party)
    return caught.value


def ordinary_names(count: int) -> list[str]:
    """Realistic aliases of three or four words ("Mohammed Ali Al-Hassan")."""
    return [
        f"{GIVEN[i % len(GIVEN)]} {GIVEN[(i // 3) % len(GIVEN)]} {FAMILY[(i // 7) % len(FAMILY)]}" for i in range(count)
    ]


# ---------------------------------------------------------------- how words are counted


def test_words_are_counted_as_the_matcher_counts_them() -> None:
    assert name_words("party.name", "Nicolas MADURO MOROS") == 3
    assert name_words("party.name", "AL-OMGY AND BROTHERS, O'NEIL & CO.") == 6  # al omgy and brothers oneil co
    assert name_words("party.name", "中泰化学") == 4  # one word per CJK character
    with pytest.raises(InvalidArgument, match="party.name: has no letters or digits"):
        name_words("party.name", "  ---  ")


def test_a_long_word_counts_as_several() -> None:
    assert name_words("party.name", "a" * LONG_WORD_CHARS) == 1
    assert name_words("party.name", "a" * (LONG_WORD_CHARS + 1)) == 2
    # (32 / 16)² and (64 / 16)²: the index lookup of a word grows with the square of its length.
    assert name_words("party.name", "a" * 32) == 4
    assert name_words("party.name", "a" * MAX_WORD_CHARS) == 16


# ---------------------------------------------------------------- refusals


def test_a_name_of_too_many_words_is_refused_naming_it() -> None:
    error = refusal(pb.Party(name="Ali", alternative_names=["ok", "fine", "good", words(212)]))
    assert error.field == "party.alternative_names[3]"
    assert str(error) == (
        f"party.alternative_names[3]: has 212 words; at most {MAX_NAME_WORDS} are screened per name: "
        "send each alias as its own name"
    )
    assert refusal(pb.Party(name=words(MAX_NAME_WORDS + 1))).field == "party.name"
    # Characters of other scripts are words too: 65 CJK characters are 65 words.
    assert refusal(pb.Party(name="中" * (MAX_NAME_WORDS + 1))).field == "party.name"
    validate_party(pb.Party(name=words(MAX_NAME_WORDS)))


def test_an_over_long_word_is_refused_without_echoing_it() -> None:
    error = refusal(pb.Party(name="Gulf Trading " + "x" * 300))
    assert str(error) == (
        f"party.name: has a word of 300 characters; at most {MAX_WORD_CHARS} are screened per word: "
        "put spaces between the words"
    )
    owner = pb.Owner(name="y" * (MAX_WORD_CHARS + 1), share_percent=10)
    assert refusal(pb.Party(name="Gulf Trading", owners=[owner])).field == "party.owners[0].name"
    validate_party(pb.Party(name="x" * MAX_WORD_CHARS))


def test_too_many_words_across_the_alternative_names_are_refused_naming_the_list() -> None:
    # 1 + 100 names of 6 words: 601 words, every name fine on its own.
    party = pb.Party(name="al", alternative_names=[words(6)] * MAX_ALTERNATIVE_NAMES)
    error = refusal(party)
    assert error.field == "party.alternative_names"
    assert str(error) == (
        f"party.alternative_names: with the name they come to 601 words; at most {MAX_PARTY_WORDS} are screened "
        f"per party, its names and its owners' names together (a word of over {LONG_WORD_CHARS} characters counts as "
        "several): leave out near-duplicate aliases"
    )


def test_the_owner_that_brings_the_party_over_is_named() -> None:
    # 1 + 100 x 4 = 401 words of names; owners of 8 words: 401 + 8 x 14 = 513 at owners[13].
    owners = [pb.Owner(name=words(8), share_percent=1) for _ in range(20)]
    error = refusal(pb.Party(name="al", alternative_names=[words(4)] * 100, owners=owners))
    assert error.field == "party.owners[13].name"
    assert error.message.startswith(f"this owner brings the names to 513 words; at most {MAX_PARTY_WORDS} are screened")
    assert error.message.endswith(": leave out minor owners or duplicate aliases")


def test_long_words_count_towards_the_party_budget() -> None:
    # 33 words of 64 characters count 16 each: 528.
    long_names = [" ".join(["q" * MAX_WORD_CHARS] * 3)] * 10 + ["q" * MAX_WORD_CHARS] * 2
    assert refusal(pb.Party(name="q" * MAX_WORD_CHARS, alternative_names=long_names)).field == "party.alternative_names"


def test_exactly_the_budget_passes_and_one_word_more_is_refused() -> None:
    # 1 + 100 x 5 = 501, then one owner of 11 words: 512.
    party = pb.Party(name="al", alternative_names=[words(5)] * 100, owners=[pb.Owner(name=words(11), share_percent=5)])
    validate_party(party)
    party.owners[0].name = words(12)
    assert refusal(party).field == "party.owners[0].name"


def test_screen_requests_and_registrations_get_the_same_cap() -> None:
    party = pb.Party(name="al", alternative_names=[words(6)] * MAX_ALTERNATIVE_NAMES, party_reference="BP-1")
    with pytest.raises(InvalidArgument) as caught:
        validate_request(pb.ScreenRequest(party=party), ["ofac_sdn"])
    assert caught.value.field == "party.alternative_names"

    records, errors = registered_parties([pb.Party(name="Gulf Trading", party_reference="BP-0"), party], "export")
    assert [record.reference for record in records] == ["BP-0"]
    [error] = errors
    assert error.field == "parties[1].alternative_names"
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert error.message.startswith("parties[1].alternative_names: with the name they come to 601 words")


async def test_screen_and_batch_items_over_the_cap_are_invalid_argument(stub: pb_grpc.ScreeningServiceStub) -> None:
    too_long = pb.ScreenRequest(party=pb.Party(name="Ali", alternative_names=[words(MAX_NAME_WORDS + 1)]))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Screen(too_long)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith(f"party.alternative_names[0]: has {MAX_NAME_WORDS + 1} words")

    owners = [pb.Owner(name=words(MAX_NAME_WORDS), share_percent=1) for _ in range(9)]
    over = pb.ScreenRequest(request_id="owners", party=pb.Party(name="Gulf Trading", owners=owners))
    fine = pb.ScreenRequest(request_id="fine", party=pb.Party(name="Nicolas MADURO MOROS"))

    async def requests() -> AsyncIterator[pb.ScreenBatchRequest]:
        yield pb.ScreenBatchRequest(requests=[over, fine])

    [message] = [m async for m in stub.ScreenBatch(requests())]
    refused, answered = message.responses
    # 2 + 8 x 64 = 514 words at the eighth owner.
    assert refused.error.field == "party.owners[7].name"
    assert refused.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert answered.decision == pb.DECISION_BLOCK and not answered.HasField("error")


# ---------------------------------------------------------------- real parties pass


def test_a_party_with_100_ordinary_alternative_names_and_owners_passes() -> None:
    owners = [pb.Owner(name=f"{name} Trading Company LLC", share_percent=2) for name in ordinary_names(20)]
    aliases = ordinary_names(MAX_ALTERNATIVE_NAMES)
    party = pb.Party(name="Mohammed Ali Al-Hassan", alternative_names=aliases, owners=owners)
    query = validate_party(party)
    assert len(query.names) == 1 + MAX_ALTERNATIVE_NAMES and len(query.owners) == 20


def _assert_every_entry_passes(entries: Iterable[Entry]) -> int:
    """Every listed name alone, and every listed party with all its names (and the longest as its owners)."""
    count = 0
    for entry in entries:
        names = [_CONTROL.sub("'", name.value) for name in entry.names]
        # A listed "name" with no letter or digit (the SDN has an alias "@") is nothing to
        # screen: refused as such, never for its cost.
        for blank in [name for name in names if not name_tokens(name)]:
            with pytest.raises(InvalidArgument, match="has no letters or digits"):
                validate_party(pb.Party(name=blank))
        names = [name for name in names if name_tokens(name)]
        if not names:
            count += 1
            continue
        for name in names:
            validate_party(pb.Party(name=name))
        longest = sorted(names, key=len, reverse=True)[:3]
        owners = [pb.Owner(name=name, share_percent=10) for name in longest]
        validate_party(pb.Party(name=names[0], alternative_names=names[1 : 1 + MAX_ALTERNATIVE_NAMES], owners=owners))
        count += 1
    return count


def test_every_party_of_the_fixture_lists_passes() -> None:
    catalog = load_catalog()
    checked = 0
    for folder in sorted(path for path in FIXTURES.iterdir() if path.is_dir()):
        for loaded in load_mirror(folder, catalog).values():
            checked += _assert_every_entry_passes(loaded.entries)
    assert checked > 20


@pytest.mark.real_data
@pytest.mark.parametrize("folder", ["mirror-2023-12", "ofac-sdn-2024-05-03", "ofac-consolidated-nonsdn-2018-04"])
def test_every_real_listed_party_passes(shared_data: Path, folder: str) -> None:
    """The real lists hold the longest names (46 words, a State ISN row of aliases) and the most-aliased party
    (OFAC SDN 10923: 96 names, 441 words); measured in service/api/validation.py."""
    lists = load_mirror(shared_data / folder)
    assert lists
    for loaded in lists.values():
        assert _assert_every_entry_passes(loaded.entries) == len(loaded.entries)
