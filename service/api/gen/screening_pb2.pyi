import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PartyType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARTY_TYPE_UNSPECIFIED: _ClassVar[PartyType]
    PARTY_TYPE_INDIVIDUAL: _ClassVar[PartyType]
    PARTY_TYPE_ORGANIZATION: _ClassVar[PartyType]
    PARTY_TYPE_VESSEL: _ClassVar[PartyType]
    PARTY_TYPE_AIRCRAFT: _ClassVar[PartyType]

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_EXPORT: _ClassVar[Direction]
    DIRECTION_IMPORT: _ClassVar[Direction]
    DIRECTION_PAYMENT: _ClassVar[Direction]
    DIRECTION_OTHER: _ClassVar[Direction]

class PartyRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARTY_ROLE_UNSPECIFIED: _ClassVar[PartyRole]
    PARTY_ROLE_CUSTOMER: _ClassVar[PartyRole]
    PARTY_ROLE_SUPPLIER: _ClassVar[PartyRole]
    PARTY_ROLE_CONSIGNEE: _ClassVar[PartyRole]
    PARTY_ROLE_ULTIMATE_CONSIGNEE: _ClassVar[PartyRole]
    PARTY_ROLE_END_USER: _ClassVar[PartyRole]
    PARTY_ROLE_INTERMEDIARY: _ClassVar[PartyRole]
    PARTY_ROLE_FREIGHT_FORWARDER: _ClassVar[PartyRole]
    PARTY_ROLE_MANUFACTURER: _ClassVar[PartyRole]
    PARTY_ROLE_BANK: _ClassVar[PartyRole]
    PARTY_ROLE_BENEFICIARY: _ClassVar[PartyRole]
    PARTY_ROLE_ORDERING_PARTY: _ClassVar[PartyRole]
    PARTY_ROLE_OTHER: _ClassVar[PartyRole]

class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_UNSPECIFIED: _ClassVar[Decision]
    DECISION_CLEAR: _ClassVar[Decision]
    DECISION_REVIEW: _ClassVar[Decision]
    DECISION_HOLD: _ClassVar[Decision]
    DECISION_BLOCK: _ClassVar[Decision]

class NameKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NAME_KIND_UNSPECIFIED: _ClassVar[NameKind]
    NAME_KIND_PRIMARY: _ClassVar[NameKind]
    NAME_KIND_AKA: _ClassVar[NameKind]
    NAME_KIND_FKA: _ClassVar[NameKind]
    NAME_KIND_NKA: _ClassVar[NameKind]

class AliasStrength(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALIAS_STRENGTH_UNSPECIFIED: _ClassVar[AliasStrength]
    ALIAS_STRENGTH_STRONG: _ClassVar[AliasStrength]
    ALIAS_STRENGTH_WEAK: _ClassVar[AliasStrength]

class QueryNameSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUERY_NAME_SOURCE_UNSPECIFIED: _ClassVar[QueryNameSource]
    QUERY_NAME_SOURCE_NAME: _ClassVar[QueryNameSource]
    QUERY_NAME_SOURCE_ALTERNATIVE_NAME: _ClassVar[QueryNameSource]

class ListState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIST_STATE_UNSPECIFIED: _ClassVar[ListState]
    LIST_STATE_NOT_LOADED: _ClassVar[ListState]
    LIST_STATE_CURRENT: _ClassVar[ListState]
    LIST_STATE_STALE: _ClassVar[ListState]
    LIST_STATE_UPDATE_FAILED: _ClassVar[ListState]

class DispositionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISPOSITION_KIND_UNSPECIFIED: _ClassVar[DispositionKind]
    DISPOSITION_KIND_FALSE_POSITIVE: _ClassVar[DispositionKind]
    DISPOSITION_KIND_CONFIRMED_MATCH: _ClassVar[DispositionKind]

class DispositionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISPOSITION_STATUS_UNSPECIFIED: _ClassVar[DispositionStatus]
    DISPOSITION_STATUS_ACTIVE: _ClassVar[DispositionStatus]
    DISPOSITION_STATUS_PENDING: _ClassVar[DispositionStatus]
    DISPOSITION_STATUS_REJECTED: _ClassVar[DispositionStatus]
    DISPOSITION_STATUS_REVOKED: _ClassVar[DispositionStatus]
PARTY_TYPE_UNSPECIFIED: PartyType
PARTY_TYPE_INDIVIDUAL: PartyType
PARTY_TYPE_ORGANIZATION: PartyType
PARTY_TYPE_VESSEL: PartyType
PARTY_TYPE_AIRCRAFT: PartyType
DIRECTION_UNSPECIFIED: Direction
DIRECTION_EXPORT: Direction
DIRECTION_IMPORT: Direction
DIRECTION_PAYMENT: Direction
DIRECTION_OTHER: Direction
PARTY_ROLE_UNSPECIFIED: PartyRole
PARTY_ROLE_CUSTOMER: PartyRole
PARTY_ROLE_SUPPLIER: PartyRole
PARTY_ROLE_CONSIGNEE: PartyRole
PARTY_ROLE_ULTIMATE_CONSIGNEE: PartyRole
PARTY_ROLE_END_USER: PartyRole
PARTY_ROLE_INTERMEDIARY: PartyRole
PARTY_ROLE_FREIGHT_FORWARDER: PartyRole
PARTY_ROLE_MANUFACTURER: PartyRole
PARTY_ROLE_BANK: PartyRole
PARTY_ROLE_BENEFICIARY: PartyRole
PARTY_ROLE_ORDERING_PARTY: PartyRole
PARTY_ROLE_OTHER: PartyRole
DECISION_UNSPECIFIED: Decision
DECISION_CLEAR: Decision
DECISION_REVIEW: Decision
DECISION_HOLD: Decision
DECISION_BLOCK: Decision
NAME_KIND_UNSPECIFIED: NameKind
NAME_KIND_PRIMARY: NameKind
NAME_KIND_AKA: NameKind
NAME_KIND_FKA: NameKind
NAME_KIND_NKA: NameKind
ALIAS_STRENGTH_UNSPECIFIED: AliasStrength
ALIAS_STRENGTH_STRONG: AliasStrength
ALIAS_STRENGTH_WEAK: AliasStrength
QUERY_NAME_SOURCE_UNSPECIFIED: QueryNameSource
QUERY_NAME_SOURCE_NAME: QueryNameSource
QUERY_NAME_SOURCE_ALTERNATIVE_NAME: QueryNameSource
LIST_STATE_UNSPECIFIED: ListState
LIST_STATE_NOT_LOADED: ListState
LIST_STATE_CURRENT: ListState
LIST_STATE_STALE: ListState
LIST_STATE_UPDATE_FAILED: ListState
DISPOSITION_KIND_UNSPECIFIED: DispositionKind
DISPOSITION_KIND_FALSE_POSITIVE: DispositionKind
DISPOSITION_KIND_CONFIRMED_MATCH: DispositionKind
DISPOSITION_STATUS_UNSPECIFIED: DispositionStatus
DISPOSITION_STATUS_ACTIVE: DispositionStatus
DISPOSITION_STATUS_PENDING: DispositionStatus
DISPOSITION_STATUS_REJECTED: DispositionStatus
DISPOSITION_STATUS_REVOKED: DispositionStatus

class ScreenRequest(_message.Message):
    __slots__ = ("request_id", "party", "context", "options")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    party: Party
    context: TransactionContext
    options: ScreenOptions
    def __init__(self, request_id: _Optional[str] = ..., party: _Optional[_Union[Party, _Mapping]] = ..., context: _Optional[_Union[TransactionContext, _Mapping]] = ..., options: _Optional[_Union[ScreenOptions, _Mapping]] = ...) -> None: ...

class Party(_message.Message):
    __slots__ = ("name", "type", "alternative_names", "addresses", "date_of_birth", "identifiers", "party_reference", "nationalities", "owners")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVE_NAMES_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    PARTY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    NATIONALITIES_FIELD_NUMBER: _ClassVar[int]
    OWNERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: PartyType
    alternative_names: _containers.RepeatedScalarFieldContainer[str]
    addresses: _containers.RepeatedCompositeFieldContainer[Address]
    date_of_birth: str
    identifiers: _containers.RepeatedCompositeFieldContainer[Identifier]
    party_reference: str
    nationalities: _containers.RepeatedScalarFieldContainer[str]
    owners: _containers.RepeatedCompositeFieldContainer[Owner]
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[PartyType, str]] = ..., alternative_names: _Optional[_Iterable[str]] = ..., addresses: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., date_of_birth: _Optional[str] = ..., identifiers: _Optional[_Iterable[_Union[Identifier, _Mapping]]] = ..., party_reference: _Optional[str] = ..., nationalities: _Optional[_Iterable[str]] = ..., owners: _Optional[_Iterable[_Union[Owner, _Mapping]]] = ...) -> None: ...

class Owner(_message.Message):
    __slots__ = ("name", "share_percent", "type", "country")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHARE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    name: str
    share_percent: float
    type: PartyType
    country: str
    def __init__(self, name: _Optional[str] = ..., share_percent: _Optional[float] = ..., type: _Optional[_Union[PartyType, str]] = ..., country: _Optional[str] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("lines", "city", "state_or_province", "postal_code", "country")
    LINES_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    STATE_OR_PROVINCE_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedScalarFieldContainer[str]
    city: str
    state_or_province: str
    postal_code: str
    country: str
    def __init__(self, lines: _Optional[_Iterable[str]] = ..., city: _Optional[str] = ..., state_or_province: _Optional[str] = ..., postal_code: _Optional[str] = ..., country: _Optional[str] = ...) -> None: ...

class Identifier(_message.Message):
    __slots__ = ("type", "value", "issuing_country")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ISSUING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    type: str
    value: str
    issuing_country: str
    def __init__(self, type: _Optional[str] = ..., value: _Optional[str] = ..., issuing_country: _Optional[str] = ...) -> None: ...

class TransactionContext(_message.Message):
    __slots__ = ("direction", "role", "destination_country", "origin_country", "items", "transaction_reference", "origin_region", "origin_place")
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_REGION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_PLACE_FIELD_NUMBER: _ClassVar[int]
    direction: Direction
    role: PartyRole
    destination_country: str
    origin_country: str
    items: _containers.RepeatedCompositeFieldContainer[Item]
    transaction_reference: str
    origin_region: str
    origin_place: str
    def __init__(self, direction: _Optional[_Union[Direction, str]] = ..., role: _Optional[_Union[PartyRole, str]] = ..., destination_country: _Optional[str] = ..., origin_country: _Optional[str] = ..., items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., transaction_reference: _Optional[str] = ..., origin_region: _Optional[str] = ..., origin_place: _Optional[str] = ...) -> None: ...

class Item(_message.Message):
    __slots__ = ("description", "eccn", "hs_code", "origin_country", "origin_region", "origin_place", "producer", "inputs")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ECCN_FIELD_NUMBER: _ClassVar[int]
    HS_CODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_REGION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_PLACE_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    description: str
    eccn: str
    hs_code: str
    origin_country: str
    origin_region: str
    origin_place: str
    producer: Party
    inputs: _containers.RepeatedCompositeFieldContainer[ItemInput]
    def __init__(self, description: _Optional[str] = ..., eccn: _Optional[str] = ..., hs_code: _Optional[str] = ..., origin_country: _Optional[str] = ..., origin_region: _Optional[str] = ..., origin_place: _Optional[str] = ..., producer: _Optional[_Union[Party, _Mapping]] = ..., inputs: _Optional[_Iterable[_Union[ItemInput, _Mapping]]] = ...) -> None: ...

class ItemInput(_message.Message):
    __slots__ = ("description", "hs_code", "origin_country", "origin_region", "origin_place", "producer")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    HS_CODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_REGION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_PLACE_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_FIELD_NUMBER: _ClassVar[int]
    description: str
    hs_code: str
    origin_country: str
    origin_region: str
    origin_place: str
    producer: Party
    def __init__(self, description: _Optional[str] = ..., hs_code: _Optional[str] = ..., origin_country: _Optional[str] = ..., origin_region: _Optional[str] = ..., origin_place: _Optional[str] = ..., producer: _Optional[_Union[Party, _Mapping]] = ...) -> None: ...

class ScreenOptions(_message.Message):
    __slots__ = ("list_ids", "max_matches")
    LIST_IDS_FIELD_NUMBER: _ClassVar[int]
    MAX_MATCHES_FIELD_NUMBER: _ClassVar[int]
    list_ids: _containers.RepeatedScalarFieldContainer[str]
    max_matches: int
    def __init__(self, list_ids: _Optional[_Iterable[str]] = ..., max_matches: _Optional[int] = ...) -> None: ...

class ScreenBatchRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[ScreenRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[ScreenRequest, _Mapping]]] = ...) -> None: ...

class ScreenBatchResponse(_message.Message):
    __slots__ = ("responses",)
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    responses: _containers.RepeatedCompositeFieldContainer[ScreenResponse]
    def __init__(self, responses: _Optional[_Iterable[_Union[ScreenResponse, _Mapping]]] = ...) -> None: ...

class ScreenResponse(_message.Message):
    __slots__ = ("screening_id", "request_id", "party_reference", "decision", "reasons", "matches", "list_versions", "policy_version", "matcher_version", "screened_at", "server_latency", "error", "warnings", "summary", "suppressed", "owner_matches", "party_fingerprint", "producer_matches")
    SCREENING_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PARTY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    LIST_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    MATCHER_VERSION_FIELD_NUMBER: _ClassVar[int]
    SCREENED_AT_FIELD_NUMBER: _ClassVar[int]
    SERVER_LATENCY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    OWNER_MATCHES_FIELD_NUMBER: _ClassVar[int]
    PARTY_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_MATCHES_FIELD_NUMBER: _ClassVar[int]
    screening_id: str
    request_id: str
    party_reference: str
    decision: Decision
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    matches: _containers.RepeatedCompositeFieldContainer[Match]
    list_versions: _containers.RepeatedCompositeFieldContainer[ListVersion]
    policy_version: str
    matcher_version: str
    screened_at: _timestamp_pb2.Timestamp
    server_latency: _duration_pb2.Duration
    error: ItemError
    warnings: _containers.RepeatedScalarFieldContainer[str]
    summary: str
    suppressed: _containers.RepeatedCompositeFieldContainer[SuppressedMatch]
    owner_matches: _containers.RepeatedCompositeFieldContainer[OwnerMatch]
    party_fingerprint: str
    producer_matches: _containers.RepeatedCompositeFieldContainer[ProducerMatch]
    def __init__(self, screening_id: _Optional[str] = ..., request_id: _Optional[str] = ..., party_reference: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., matches: _Optional[_Iterable[_Union[Match, _Mapping]]] = ..., list_versions: _Optional[_Iterable[_Union[ListVersion, _Mapping]]] = ..., policy_version: _Optional[str] = ..., matcher_version: _Optional[str] = ..., screened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., server_latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., error: _Optional[_Union[ItemError, _Mapping]] = ..., warnings: _Optional[_Iterable[str]] = ..., summary: _Optional[str] = ..., suppressed: _Optional[_Iterable[_Union[SuppressedMatch, _Mapping]]] = ..., owner_matches: _Optional[_Iterable[_Union[OwnerMatch, _Mapping]]] = ..., party_fingerprint: _Optional[str] = ..., producer_matches: _Optional[_Iterable[_Union[ProducerMatch, _Mapping]]] = ...) -> None: ...

class ProducerMatch(_message.Message):
    __slots__ = ("path", "item_index", "producer_name", "match")
    PATH_FIELD_NUMBER: _ClassVar[int]
    ITEM_INDEX_FIELD_NUMBER: _ClassVar[int]
    PRODUCER_NAME_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    path: str
    item_index: int
    producer_name: str
    match: Match
    def __init__(self, path: _Optional[str] = ..., item_index: _Optional[int] = ..., producer_name: _Optional[str] = ..., match: _Optional[_Union[Match, _Mapping]] = ...) -> None: ...

class SuppressedMatch(_message.Message):
    __slots__ = ("match", "disposition")
    MATCH_FIELD_NUMBER: _ClassVar[int]
    DISPOSITION_FIELD_NUMBER: _ClassVar[int]
    match: Match
    disposition: Disposition
    def __init__(self, match: _Optional[_Union[Match, _Mapping]] = ..., disposition: _Optional[_Union[Disposition, _Mapping]] = ...) -> None: ...

class OwnerMatch(_message.Message):
    __slots__ = ("owner_name", "share_percent", "match")
    OWNER_NAME_FIELD_NUMBER: _ClassVar[int]
    SHARE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    owner_name: str
    share_percent: float
    match: Match
    def __init__(self, owner_name: _Optional[str] = ..., share_percent: _Optional[float] = ..., match: _Optional[_Union[Match, _Mapping]] = ...) -> None: ...

class ItemError(_message.Message):
    __slots__ = ("code", "message", "field")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    field: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("decision", "code", "list_id", "entry_id", "rule_id", "legal_basis", "next_step", "text", "citation", "subject", "group")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    NEXT_STEP_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CITATION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    decision: Decision
    code: str
    list_id: str
    entry_id: str
    rule_id: str
    legal_basis: str
    next_step: str
    text: str
    citation: str
    subject: str
    group: str
    def __init__(self, decision: _Optional[_Union[Decision, str]] = ..., code: _Optional[str] = ..., list_id: _Optional[str] = ..., entry_id: _Optional[str] = ..., rule_id: _Optional[str] = ..., legal_basis: _Optional[str] = ..., next_step: _Optional[str] = ..., text: _Optional[str] = ..., citation: _Optional[str] = ..., subject: _Optional[str] = ..., group: _Optional[str] = ...) -> None: ...

class Match(_message.Message):
    __slots__ = ("list_id", "entry_id", "listed_name", "listed_name_kind", "alias_strength", "query_name", "query_name_source", "score", "entry", "explanation", "also_listed_on", "disposition_note")
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    LISTED_NAME_FIELD_NUMBER: _ClassVar[int]
    LISTED_NAME_KIND_FIELD_NUMBER: _ClassVar[int]
    ALIAS_STRENGTH_FIELD_NUMBER: _ClassVar[int]
    QUERY_NAME_FIELD_NUMBER: _ClassVar[int]
    QUERY_NAME_SOURCE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    ALSO_LISTED_ON_FIELD_NUMBER: _ClassVar[int]
    DISPOSITION_NOTE_FIELD_NUMBER: _ClassVar[int]
    list_id: str
    entry_id: str
    listed_name: str
    listed_name_kind: NameKind
    alias_strength: AliasStrength
    query_name: str
    query_name_source: QueryNameSource
    score: float
    entry: ListedEntry
    explanation: MatchExplanation
    also_listed_on: _containers.RepeatedCompositeFieldContainer[LinkedListing]
    disposition_note: str
    def __init__(self, list_id: _Optional[str] = ..., entry_id: _Optional[str] = ..., listed_name: _Optional[str] = ..., listed_name_kind: _Optional[_Union[NameKind, str]] = ..., alias_strength: _Optional[_Union[AliasStrength, str]] = ..., query_name: _Optional[str] = ..., query_name_source: _Optional[_Union[QueryNameSource, str]] = ..., score: _Optional[float] = ..., entry: _Optional[_Union[ListedEntry, _Mapping]] = ..., explanation: _Optional[_Union[MatchExplanation, _Mapping]] = ..., also_listed_on: _Optional[_Iterable[_Union[LinkedListing, _Mapping]]] = ..., disposition_note: _Optional[str] = ...) -> None: ...

class LinkedListing(_message.Message):
    __slots__ = ("list_id", "entry_id", "listed_name", "evidence")
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    LISTED_NAME_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    list_id: str
    entry_id: str
    listed_name: str
    evidence: str
    def __init__(self, list_id: _Optional[str] = ..., entry_id: _Optional[str] = ..., listed_name: _Optional[str] = ..., evidence: _Optional[str] = ...) -> None: ...

class ListedEntry(_message.Message):
    __slots__ = ("primary_name", "entity_type", "programs", "countries", "dates_of_birth", "nationalities", "aliases", "remarks", "federal_register_notice", "start_date", "license_requirement", "license_policy", "source_url", "list_version", "citizenships", "identifiers", "tags", "status", "merchandise", "hs_codes")
    PRIMARY_NAME_FIELD_NUMBER: _ClassVar[int]
    ENTITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROGRAMS_FIELD_NUMBER: _ClassVar[int]
    COUNTRIES_FIELD_NUMBER: _ClassVar[int]
    DATES_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    NATIONALITIES_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    REMARKS_FIELD_NUMBER: _ClassVar[int]
    FEDERAL_REGISTER_NOTICE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    LICENSE_REQUIREMENT_FIELD_NUMBER: _ClassVar[int]
    LICENSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URL_FIELD_NUMBER: _ClassVar[int]
    LIST_VERSION_FIELD_NUMBER: _ClassVar[int]
    CITIZENSHIPS_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MERCHANDISE_FIELD_NUMBER: _ClassVar[int]
    HS_CODES_FIELD_NUMBER: _ClassVar[int]
    primary_name: str
    entity_type: str
    programs: _containers.RepeatedScalarFieldContainer[str]
    countries: _containers.RepeatedScalarFieldContainer[str]
    dates_of_birth: _containers.RepeatedScalarFieldContainer[str]
    nationalities: _containers.RepeatedScalarFieldContainer[str]
    aliases: _containers.RepeatedScalarFieldContainer[str]
    remarks: str
    federal_register_notice: str
    start_date: str
    license_requirement: str
    license_policy: str
    source_url: str
    list_version: str
    citizenships: _containers.RepeatedScalarFieldContainer[str]
    identifiers: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    status: str
    merchandise: str
    hs_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, primary_name: _Optional[str] = ..., entity_type: _Optional[str] = ..., programs: _Optional[_Iterable[str]] = ..., countries: _Optional[_Iterable[str]] = ..., dates_of_birth: _Optional[_Iterable[str]] = ..., nationalities: _Optional[_Iterable[str]] = ..., aliases: _Optional[_Iterable[str]] = ..., remarks: _Optional[str] = ..., federal_register_notice: _Optional[str] = ..., start_date: _Optional[str] = ..., license_requirement: _Optional[str] = ..., license_policy: _Optional[str] = ..., source_url: _Optional[str] = ..., list_version: _Optional[str] = ..., citizenships: _Optional[_Iterable[str]] = ..., identifiers: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., status: _Optional[str] = ..., merchandise: _Optional[str] = ..., hs_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class MatchExplanation(_message.Message):
    __slots__ = ("algorithm", "normalized_query", "normalized_listed", "alignment", "name_score", "adjustments", "final_score", "match_threshold", "review_threshold", "text")
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_QUERY_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_LISTED_FIELD_NUMBER: _ClassVar[int]
    ALIGNMENT_FIELD_NUMBER: _ClassVar[int]
    NAME_SCORE_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENTS_FIELD_NUMBER: _ClassVar[int]
    FINAL_SCORE_FIELD_NUMBER: _ClassVar[int]
    MATCH_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    REVIEW_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    algorithm: str
    normalized_query: str
    normalized_listed: str
    alignment: _containers.RepeatedCompositeFieldContainer[TokenAlignment]
    name_score: float
    adjustments: _containers.RepeatedCompositeFieldContainer[ScoreAdjustment]
    final_score: float
    match_threshold: float
    review_threshold: float
    text: str
    def __init__(self, algorithm: _Optional[str] = ..., normalized_query: _Optional[str] = ..., normalized_listed: _Optional[str] = ..., alignment: _Optional[_Iterable[_Union[TokenAlignment, _Mapping]]] = ..., name_score: _Optional[float] = ..., adjustments: _Optional[_Iterable[_Union[ScoreAdjustment, _Mapping]]] = ..., final_score: _Optional[float] = ..., match_threshold: _Optional[float] = ..., review_threshold: _Optional[float] = ..., text: _Optional[str] = ...) -> None: ...

class TokenAlignment(_message.Message):
    __slots__ = ("query_token", "listed_token", "similarity", "method", "weight")
    QUERY_TOKEN_FIELD_NUMBER: _ClassVar[int]
    LISTED_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    query_token: str
    listed_token: str
    similarity: float
    method: str
    weight: float
    def __init__(self, query_token: _Optional[str] = ..., listed_token: _Optional[str] = ..., similarity: _Optional[float] = ..., method: _Optional[str] = ..., weight: _Optional[float] = ...) -> None: ...

class ScoreAdjustment(_message.Message):
    __slots__ = ("factor", "delta", "detail")
    FACTOR_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    factor: str
    delta: float
    detail: str
    def __init__(self, factor: _Optional[str] = ..., delta: _Optional[float] = ..., detail: _Optional[str] = ...) -> None: ...

class ListVersion(_message.Message):
    __slots__ = ("list_id", "version", "published_at", "stale", "age", "data_date")
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    STALE_FIELD_NUMBER: _ClassVar[int]
    AGE_FIELD_NUMBER: _ClassVar[int]
    DATA_DATE_FIELD_NUMBER: _ClassVar[int]
    list_id: str
    version: str
    published_at: _timestamp_pb2.Timestamp
    stale: bool
    age: _duration_pb2.Duration
    data_date: str
    def __init__(self, list_id: _Optional[str] = ..., version: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stale: _Optional[bool] = ..., age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., data_date: _Optional[str] = ...) -> None: ...

class GetListStatusRequest(_message.Message):
    __slots__ = ("list_ids",)
    LIST_IDS_FIELD_NUMBER: _ClassVar[int]
    list_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, list_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetListStatusResponse(_message.Message):
    __slots__ = ("lists",)
    LISTS_FIELD_NUMBER: _ClassVar[int]
    lists: _containers.RepeatedCompositeFieldContainer[ListStatus]
    def __init__(self, lists: _Optional[_Iterable[_Union[ListStatus, _Mapping]]] = ...) -> None: ...

class ListStatus(_message.Message):
    __slots__ = ("list_id", "name", "publisher", "version", "state", "published_at", "fetched_at", "entry_count", "age", "source", "last_error", "last_attempt_at", "loaded", "data_date", "confirmed_at", "max_age", "notes")
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    ENTRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    AGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    LAST_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    LOADED_FIELD_NUMBER: _ClassVar[int]
    DATA_DATE_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_AT_FIELD_NUMBER: _ClassVar[int]
    MAX_AGE_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    list_id: str
    name: str
    publisher: str
    version: str
    state: ListState
    published_at: _timestamp_pb2.Timestamp
    fetched_at: _timestamp_pb2.Timestamp
    entry_count: int
    age: _duration_pb2.Duration
    source: str
    last_error: str
    last_attempt_at: _timestamp_pb2.Timestamp
    loaded: bool
    data_date: str
    confirmed_at: _timestamp_pb2.Timestamp
    max_age: _duration_pb2.Duration
    notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, list_id: _Optional[str] = ..., name: _Optional[str] = ..., publisher: _Optional[str] = ..., version: _Optional[str] = ..., state: _Optional[_Union[ListState, str]] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., entry_count: _Optional[int] = ..., age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., source: _Optional[str] = ..., last_error: _Optional[str] = ..., last_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., loaded: _Optional[bool] = ..., data_date: _Optional[str] = ..., confirmed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...

class Disposition(_message.Message):
    __slots__ = ("subject", "list_id", "entry_id", "kind", "reason", "reviewer", "recorded_at", "version", "revoked", "revoked_by", "revoked_at", "revoke_reason", "entry_hash", "screening_id", "status", "approval_required", "reviewer_name", "approved_by", "approved_at", "approval_note", "rejected_by", "rejected_at", "rejection_note")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    REVOKED_BY_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    ENTRY_HASH_FIELD_NUMBER: _ClassVar[int]
    SCREENING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_NAME_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVED_AT_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_NOTE_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    REJECTED_AT_FIELD_NUMBER: _ClassVar[int]
    REJECTION_NOTE_FIELD_NUMBER: _ClassVar[int]
    subject: str
    list_id: str
    entry_id: str
    kind: DispositionKind
    reason: str
    reviewer: str
    recorded_at: _timestamp_pb2.Timestamp
    version: int
    revoked: bool
    revoked_by: str
    revoked_at: _timestamp_pb2.Timestamp
    revoke_reason: str
    entry_hash: str
    screening_id: str
    status: DispositionStatus
    approval_required: str
    reviewer_name: str
    approved_by: str
    approved_at: _timestamp_pb2.Timestamp
    approval_note: str
    rejected_by: str
    rejected_at: _timestamp_pb2.Timestamp
    rejection_note: str
    def __init__(self, subject: _Optional[str] = ..., list_id: _Optional[str] = ..., entry_id: _Optional[str] = ..., kind: _Optional[_Union[DispositionKind, str]] = ..., reason: _Optional[str] = ..., reviewer: _Optional[str] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ..., revoked: _Optional[bool] = ..., revoked_by: _Optional[str] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ..., entry_hash: _Optional[str] = ..., screening_id: _Optional[str] = ..., status: _Optional[_Union[DispositionStatus, str]] = ..., approval_required: _Optional[str] = ..., reviewer_name: _Optional[str] = ..., approved_by: _Optional[str] = ..., approved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., approval_note: _Optional[str] = ..., rejected_by: _Optional[str] = ..., rejected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rejection_note: _Optional[str] = ...) -> None: ...

class RecordDispositionRequest(_message.Message):
    __slots__ = ("party_reference", "party_fingerprint", "list_id", "entry_id", "kind", "reason", "reviewer", "screening_id")
    PARTY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PARTY_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    SCREENING_ID_FIELD_NUMBER: _ClassVar[int]
    party_reference: str
    party_fingerprint: str
    list_id: str
    entry_id: str
    kind: DispositionKind
    reason: str
    reviewer: str
    screening_id: str
    def __init__(self, party_reference: _Optional[str] = ..., party_fingerprint: _Optional[str] = ..., list_id: _Optional[str] = ..., entry_id: _Optional[str] = ..., kind: _Optional[_Union[DispositionKind, str]] = ..., reason: _Optional[str] = ..., reviewer: _Optional[str] = ..., screening_id: _Optional[str] = ...) -> None: ...

class RevokeDispositionRequest(_message.Message):
    __slots__ = ("party_reference", "party_fingerprint", "list_id", "entry_id", "reason", "reviewer")
    PARTY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PARTY_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    party_reference: str
    party_fingerprint: str
    list_id: str
    entry_id: str
    reason: str
    reviewer: str
    def __init__(self, party_reference: _Optional[str] = ..., party_fingerprint: _Optional[str] = ..., list_id: _Optional[str] = ..., entry_id: _Optional[str] = ..., reason: _Optional[str] = ..., reviewer: _Optional[str] = ...) -> None: ...

class ReviewDispositionRequest(_message.Message):
    __slots__ = ("party_reference", "party_fingerprint", "list_id", "entry_id", "version", "note")
    PARTY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PARTY_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    party_reference: str
    party_fingerprint: str
    list_id: str
    entry_id: str
    version: int
    note: str
    def __init__(self, party_reference: _Optional[str] = ..., party_fingerprint: _Optional[str] = ..., list_id: _Optional[str] = ..., entry_id: _Optional[str] = ..., version: _Optional[int] = ..., note: _Optional[str] = ...) -> None: ...

class ListDispositionsRequest(_message.Message):
    __slots__ = ("party_reference", "party_fingerprint", "include_revoked", "pending_only")
    PARTY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PARTY_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_REVOKED_FIELD_NUMBER: _ClassVar[int]
    PENDING_ONLY_FIELD_NUMBER: _ClassVar[int]
    party_reference: str
    party_fingerprint: str
    include_revoked: bool
    pending_only: bool
    def __init__(self, party_reference: _Optional[str] = ..., party_fingerprint: _Optional[str] = ..., include_revoked: _Optional[bool] = ..., pending_only: _Optional[bool] = ...) -> None: ...

class ListDispositionsResponse(_message.Message):
    __slots__ = ("dispositions",)
    DISPOSITIONS_FIELD_NUMBER: _ClassVar[int]
    dispositions: _containers.RepeatedCompositeFieldContainer[Disposition]
    def __init__(self, dispositions: _Optional[_Iterable[_Union[Disposition, _Mapping]]] = ...) -> None: ...

class RegisterPartiesRequest(_message.Message):
    __slots__ = ("parties", "direction")
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    parties: _containers.RepeatedCompositeFieldContainer[Party]
    direction: Direction
    def __init__(self, parties: _Optional[_Iterable[_Union[Party, _Mapping]]] = ..., direction: _Optional[_Union[Direction, str]] = ...) -> None: ...

class RegisterPartiesResponse(_message.Message):
    __slots__ = ("stored", "new", "errors", "queued")
    STORED_FIELD_NUMBER: _ClassVar[int]
    NEW_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    stored: int
    new: int
    errors: _containers.RepeatedCompositeFieldContainer[ItemError]
    queued: int
    def __init__(self, stored: _Optional[int] = ..., new: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[ItemError, _Mapping]]] = ..., queued: _Optional[int] = ...) -> None: ...

class RemovePartiesRequest(_message.Message):
    __slots__ = ("party_references",)
    PARTY_REFERENCES_FIELD_NUMBER: _ClassVar[int]
    party_references: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, party_references: _Optional[_Iterable[str]] = ...) -> None: ...

class RemovePartiesResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: int
    def __init__(self, removed: _Optional[int] = ...) -> None: ...

class GetPartyRequest(_message.Message):
    __slots__ = ("party_reference",)
    PARTY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    party_reference: str
    def __init__(self, party_reference: _Optional[str] = ...) -> None: ...

class AlertedEntry(_message.Message):
    __slots__ = ("list_id", "entry_id", "score", "decision", "listed_name")
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    LISTED_NAME_FIELD_NUMBER: _ClassVar[int]
    list_id: str
    entry_id: str
    score: float
    decision: Decision
    listed_name: str
    def __init__(self, list_id: _Optional[str] = ..., entry_id: _Optional[str] = ..., score: _Optional[float] = ..., decision: _Optional[_Union[Decision, str]] = ..., listed_name: _Optional[str] = ...) -> None: ...

class RegisteredParty(_message.Message):
    __slots__ = ("party", "direction", "decision", "alerted", "state_since", "screening_queued")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ALERTED_FIELD_NUMBER: _ClassVar[int]
    STATE_SINCE_FIELD_NUMBER: _ClassVar[int]
    SCREENING_QUEUED_FIELD_NUMBER: _ClassVar[int]
    party: Party
    direction: Direction
    decision: Decision
    alerted: _containers.RepeatedCompositeFieldContainer[AlertedEntry]
    state_since: _timestamp_pb2.Timestamp
    screening_queued: bool
    def __init__(self, party: _Optional[_Union[Party, _Mapping]] = ..., direction: _Optional[_Union[Direction, str]] = ..., decision: _Optional[_Union[Decision, str]] = ..., alerted: _Optional[_Iterable[_Union[AlertedEntry, _Mapping]]] = ..., state_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., screening_queued: _Optional[bool] = ...) -> None: ...

class AlertEntry(_message.Message):
    __slots__ = ("list_id", "entry_id", "listed_name", "score", "change", "decision")
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    LISTED_NAME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    list_id: str
    entry_id: str
    listed_name: str
    score: float
    change: str
    decision: Decision
    def __init__(self, list_id: _Optional[str] = ..., entry_id: _Optional[str] = ..., listed_name: _Optional[str] = ..., score: _Optional[float] = ..., change: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("alert_id", "party_reference", "decision", "previous_decision", "entries", "job_id", "text", "raised_at", "list_versions", "policy_version")
    class ListVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    PARTY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_DECISION_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    RAISED_AT_FIELD_NUMBER: _ClassVar[int]
    LIST_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    party_reference: str
    decision: Decision
    previous_decision: Decision
    entries: _containers.RepeatedCompositeFieldContainer[AlertEntry]
    job_id: str
    text: str
    raised_at: _timestamp_pb2.Timestamp
    list_versions: _containers.ScalarMap[str, str]
    policy_version: str
    def __init__(self, alert_id: _Optional[str] = ..., party_reference: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., previous_decision: _Optional[_Union[Decision, str]] = ..., entries: _Optional[_Iterable[_Union[AlertEntry, _Mapping]]] = ..., job_id: _Optional[str] = ..., text: _Optional[str] = ..., raised_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., list_versions: _Optional[_Mapping[str, str]] = ..., policy_version: _Optional[str] = ...) -> None: ...

class WatchAlertsRequest(_message.Message):
    __slots__ = ("after_id",)
    AFTER_ID_FIELD_NUMBER: _ClassVar[int]
    after_id: str
    def __init__(self, after_id: _Optional[str] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("job_id", "kind", "state", "list_id", "version", "shards_total", "shards_done", "parties_screened", "alerts", "created_at", "finished_at", "shards_failed", "error")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SHARDS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHARDS_DONE_FIELD_NUMBER: _ClassVar[int]
    PARTIES_SCREENED_FIELD_NUMBER: _ClassVar[int]
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FAILED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    kind: str
    state: str
    list_id: str
    version: str
    shards_total: int
    shards_done: int
    parties_screened: int
    alerts: int
    created_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    shards_failed: int
    error: str
    def __init__(self, job_id: _Optional[str] = ..., kind: _Optional[str] = ..., state: _Optional[str] = ..., list_id: _Optional[str] = ..., version: _Optional[str] = ..., shards_total: _Optional[int] = ..., shards_done: _Optional[int] = ..., parties_screened: _Optional[int] = ..., alerts: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., shards_failed: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class ListAlertsRequest(_message.Message):
    __slots__ = ("list_id", "decision", "min_age_hours", "max_age_hours", "open_only", "page_size")
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    MIN_AGE_HOURS_FIELD_NUMBER: _ClassVar[int]
    MAX_AGE_HOURS_FIELD_NUMBER: _ClassVar[int]
    OPEN_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    list_id: str
    decision: Decision
    min_age_hours: int
    max_age_hours: int
    open_only: bool
    page_size: int
    def __init__(self, list_id: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., min_age_hours: _Optional[int] = ..., max_age_hours: _Optional[int] = ..., open_only: _Optional[bool] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListAlertsResponse(_message.Message):
    __slots__ = ("alerts", "scanned", "truncated", "more")
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    SCANNED_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    MORE_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[Alert]
    scanned: int
    truncated: bool
    more: bool
    def __init__(self, alerts: _Optional[_Iterable[_Union[Alert, _Mapping]]] = ..., scanned: _Optional[int] = ..., truncated: _Optional[bool] = ..., more: _Optional[bool] = ...) -> None: ...

class GetListChangesRequest(_message.Message):
    __slots__ = ("list_id", "version", "change", "offset", "page_size")
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    list_id: str
    version: str
    change: str
    offset: int
    page_size: int
    def __init__(self, list_id: _Optional[str] = ..., version: _Optional[str] = ..., change: _Optional[str] = ..., offset: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListChange(_message.Message):
    __slots__ = ("entry_id", "change", "name", "fields")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    change: str
    name: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, entry_id: _Optional[str] = ..., change: _Optional[str] = ..., name: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ...) -> None: ...

class ListChanges(_message.Message):
    __slots__ = ("list_id", "version", "previous_version", "added", "removed", "changed", "changes", "next_offset")
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_OFFSET_FIELD_NUMBER: _ClassVar[int]
    list_id: str
    version: str
    previous_version: str
    added: int
    removed: int
    changed: int
    changes: _containers.RepeatedCompositeFieldContainer[ListChange]
    next_offset: int
    def __init__(self, list_id: _Optional[str] = ..., version: _Optional[str] = ..., previous_version: _Optional[str] = ..., added: _Optional[int] = ..., removed: _Optional[int] = ..., changed: _Optional[int] = ..., changes: _Optional[_Iterable[_Union[ListChange, _Mapping]]] = ..., next_offset: _Optional[int] = ...) -> None: ...

class GetScreeningRequest(_message.Message):
    __slots__ = ("screening_id", "screened_on")
    SCREENING_ID_FIELD_NUMBER: _ClassVar[int]
    SCREENED_ON_FIELD_NUMBER: _ClassVar[int]
    screening_id: str
    screened_on: str
    def __init__(self, screening_id: _Optional[str] = ..., screened_on: _Optional[str] = ...) -> None: ...

class ScreeningRecord(_message.Message):
    __slots__ = ("screening_id", "screened_at", "caller", "decision", "policy_version", "matcher_version", "list_versions", "has_party_data", "record_json")
    class ListVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCREENING_ID_FIELD_NUMBER: _ClassVar[int]
    SCREENED_AT_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    MATCHER_VERSION_FIELD_NUMBER: _ClassVar[int]
    LIST_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    HAS_PARTY_DATA_FIELD_NUMBER: _ClassVar[int]
    RECORD_JSON_FIELD_NUMBER: _ClassVar[int]
    screening_id: str
    screened_at: _timestamp_pb2.Timestamp
    caller: str
    decision: Decision
    policy_version: str
    matcher_version: str
    list_versions: _containers.ScalarMap[str, str]
    has_party_data: bool
    record_json: str
    def __init__(self, screening_id: _Optional[str] = ..., screened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., caller: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., policy_version: _Optional[str] = ..., matcher_version: _Optional[str] = ..., list_versions: _Optional[_Mapping[str, str]] = ..., has_party_data: _Optional[bool] = ..., record_json: _Optional[str] = ...) -> None: ...

class ReplayScreeningRequest(_message.Message):
    __slots__ = ("screening_id", "screened_on")
    SCREENING_ID_FIELD_NUMBER: _ClassVar[int]
    SCREENED_ON_FIELD_NUMBER: _ClassVar[int]
    screening_id: str
    screened_on: str
    def __init__(self, screening_id: _Optional[str] = ..., screened_on: _Optional[str] = ...) -> None: ...

class ReplayScreeningResponse(_message.Message):
    __slots__ = ("record", "replayed", "identical", "differences", "notes")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    IDENTICAL_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    record: ScreeningRecord
    replayed: ScreenResponse
    identical: bool
    differences: _containers.RepeatedScalarFieldContainer[str]
    notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, record: _Optional[_Union[ScreeningRecord, _Mapping]] = ..., replayed: _Optional[_Union[ScreenResponse, _Mapping]] = ..., identical: _Optional[bool] = ..., differences: _Optional[_Iterable[str]] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...

class ListReviewsRequest(_message.Message):
    __slots__ = ("list_id", "decision", "min_age_hours", "max_age_hours", "open_only", "page_size")
    LIST_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    MIN_AGE_HOURS_FIELD_NUMBER: _ClassVar[int]
    MAX_AGE_HOURS_FIELD_NUMBER: _ClassVar[int]
    OPEN_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    list_id: str
    decision: Decision
    min_age_hours: int
    max_age_hours: int
    open_only: bool
    page_size: int
    def __init__(self, list_id: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., min_age_hours: _Optional[int] = ..., max_age_hours: _Optional[int] = ..., open_only: _Optional[bool] = ..., page_size: _Optional[int] = ...) -> None: ...

class ReviewItem(_message.Message):
    __slots__ = ("screening_id", "screened_at", "caller", "decision", "party_reference", "party_fingerprint", "party_name", "matches")
    SCREENING_ID_FIELD_NUMBER: _ClassVar[int]
    SCREENED_AT_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    PARTY_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PARTY_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    PARTY_NAME_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    screening_id: str
    screened_at: _timestamp_pb2.Timestamp
    caller: str
    decision: Decision
    party_reference: str
    party_fingerprint: str
    party_name: str
    matches: _containers.RepeatedCompositeFieldContainer[AlertedEntry]
    def __init__(self, screening_id: _Optional[str] = ..., screened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., caller: _Optional[str] = ..., decision: _Optional[_Union[Decision, str]] = ..., party_reference: _Optional[str] = ..., party_fingerprint: _Optional[str] = ..., party_name: _Optional[str] = ..., matches: _Optional[_Iterable[_Union[AlertedEntry, _Mapping]]] = ...) -> None: ...

class ListReviewsResponse(_message.Message):
    __slots__ = ("reviews", "scanned", "truncated", "more")
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    SCANNED_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    MORE_FIELD_NUMBER: _ClassVar[int]
    reviews: _containers.RepeatedCompositeFieldContainer[ReviewItem]
    scanned: int
    truncated: bool
    more: bool
    def __init__(self, reviews: _Optional[_Iterable[_Union[ReviewItem, _Mapping]]] = ..., scanned: _Optional[int] = ..., truncated: _Optional[bool] = ..., more: _Optional[bool] = ...) -> None: ...
