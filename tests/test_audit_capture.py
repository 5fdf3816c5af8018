"""The audit record's context: built from cached parts, written as MessageToDict writes the whole."""

from __future__ import annotations

import json
import random

import pytest
from google.protobuf.json_format import MessageToDict

from service.api.gen import screening_pb2 as pb
from service.audit.capture import context_as_dict


def _reference(context: pb.TransactionContext, include_party: bool) -> dict[str, object]:
    """What the record held before it was built from parts: the whole kept context converted at once."""
    kept = pb.TransactionContext()
    kept.CopyFrom(context)
    if not include_party:
        for item in kept.items:
            item.ClearField("producer")
            for one in item.inputs:
                one.ClearField("producer")
    return MessageToDict(kept, preserving_proto_field_name=True)


def _producer(rng: random.Random) -> pb.Party:
    return pb.Party(name=rng.choice(["Kashgar Cotton Co", "Acme GmbH"]), addresses=[pb.Address(country="CN")])


def _context(rng: random.Random) -> pb.TransactionContext:
    context = pb.TransactionContext()
    if rng.random() < 0.7:
        context.direction = rng.choice([pb.DIRECTION_IMPORT, pb.DIRECTION_EXPORT])
    if rng.random() < 0.5:
        context.destination_country = rng.choice(["CA", "MX", "DE"])
    if rng.random() < 0.5:
        context.origin_country = "CN"
    if rng.random() < 0.3:
        context.transaction_reference = f"PO-{rng.randrange(100)}"
    if rng.random() < 0.3:
        context.origin_region = "CN-XJ"
    if rng.random() < 0.3:
        context.origin_place = "Kashgar"
    for position in range(rng.choice([0, 1, 3])):
        item = context.items.add()
        if rng.random() < 0.8:
            item.description = f"goods {position}"
        if rng.random() < 0.8:
            item.hs_code = rng.choice(["520812", "854143"])
        if rng.random() < 0.5:
            item.origin_country = rng.choice(["CN", "VN"])
        if rng.random() < 0.5:
            item.producer.CopyFrom(_producer(rng))
        for _ in range(rng.choice([0, 0, 1, 2])):
            one = item.inputs.add(description="input", hs_code="520100")
            if rng.random() < 0.5:
                one.producer.CopyFrom(_producer(rng))
    return context


@pytest.mark.parametrize("include_party", [False, True])
def test_the_context_is_written_as_a_whole_conversion_would_write_it(include_party: bool) -> None:
    rng = random.Random(15)
    for _ in range(400):
        context = _context(rng)
        built = context_as_dict(context, include_party)
        expected = _reference(context, include_party)
        assert built == expected
        assert json.dumps(built) == json.dumps(expected)  # the same keys in the same order


def test_producers_are_left_out_unless_the_party_is_kept() -> None:
    context = pb.TransactionContext(direction=pb.DIRECTION_IMPORT, transaction_reference="PO-1")
    item = context.items.add(description="cotton", producer=pb.Party(name="Kashgar Cotton Co"))
    item.inputs.add(description="yarn", producer=pb.Party(name="Hotan Yarn Co"))

    kept = context_as_dict(context, include_party=False)
    assert kept["items"] == [{"description": "cotton", "inputs": [{"description": "yarn"}]}]
    assert list(kept) == ["direction", "items", "transaction_reference"]
    assert "Kashgar" not in json.dumps(kept) and "Hotan" not in json.dumps(kept)

    whole = context_as_dict(context, include_party=True)
    assert whole["items"][0]["producer"] == {"name": "Kashgar Cotton Co"}
    assert whole["items"][0]["inputs"][0]["producer"] == {"name": "Hotan Yarn Co"}
