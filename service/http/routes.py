"""The HTTP/JSON door's routes: each a method of the gRPC service, its HTTP verb and path.

One table, read by the app (service.http.app) and by the OpenAPI document (service.http.openapi),
so the document cannot describe a route the server does not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

from service.api.gen import screening_pb2 as pb

SERVICE = pb.DESCRIPTOR.services_by_name["ScreeningService"]


@dataclass(frozen=True)
class Route:
    rpc: str  # the method of ScreeningService
    verb: Literal["GET", "POST"]
    path: str  # Starlette's syntax: "/v1/parties/{party_reference}" takes that field from the path
    summary: str
    # "unary": JSON in, JSON out; "ndjson": JSON Lines in and out (ScreenBatch); "sse": Server-Sent Events out.
    shape: Literal["unary", "ndjson", "sse"] = "unary"

    @property
    def full_method(self) -> str:
        """As gRPC names it, for roles (lists/roles.toml) and rate limits: one set of rules for both doors."""
        return f"/{SERVICE.full_name}/{self.rpc}"

    @property
    def request_type(self) -> type[Message]:
        message_type: type[Message] = getattr(pb, self.request_descriptor.name)
        return message_type

    @property
    def response_type(self) -> type[Message]:
        message_type: type[Message] = getattr(pb, self.response_descriptor.name)
        return message_type

    @property
    def request_descriptor(self) -> Descriptor:
        """The request message's descriptor (the very object `request_type.DESCRIPTOR` is)."""
        return SERVICE.methods_by_name[self.rpc].input_type

    @property
    def response_descriptor(self) -> Descriptor:
        return SERVICE.methods_by_name[self.rpc].output_type


ROUTES: tuple[Route, ...] = (
    Route("Screen", "POST", "/v1/screen", "Screen one party (and its transaction) against every loaded list"),
    Route(
        "ScreenBatch",
        "POST",
        "/v1/screen:batch",
        "Screen many parties: one ScreenRequest per line in, one ScreenResponse per line out, in order, streamed",
        "ndjson",
    ),
    Route("GetListStatus", "GET", "/v1/lists", "Each list's serving version, age and state"),
    Route("RecordDisposition", "POST", "/v1/dispositions", "Record a reviewer's disposition of a match"),
    Route(
        "ApproveDisposition", "POST", "/v1/dispositions:approve", "Approve a colleague's pending clearance (four eyes)"
    ),
    Route("RejectDisposition", "POST", "/v1/dispositions:reject", "Reject a colleague's pending clearance (four eyes)"),
    Route("RevokeDisposition", "POST", "/v1/dispositions:revoke", "Revoke a disposition"),
    Route("ListDispositions", "GET", "/v1/dispositions", "Dispositions, of one party or all, pending or not"),
    Route("RegisterParties", "POST", "/v1/parties", "Register parties for re-screening after each list update"),
    Route("RemoveParties", "POST", "/v1/parties:remove", "Stop re-screening parties"),
    Route("GetParty", "GET", "/v1/parties/{party_reference}", "A registered party and its current state"),
    Route("GetJob", "GET", "/v1/jobs/{job_id}", "A re-screening job's progress"),
    Route("ListAlerts", "GET", "/v1/alerts:list", "Alerts already raised, oldest first, filtered (the review queue)"),
    Route("ListReviews", "GET", "/v1/reviews", "Screenings with possible matches awaiting a verdict, oldest first"),
    Route("GetListChanges", "GET", "/v1/lists/{list_id}/changes", "What a list version added, removed and changed"),
    Route("GetScreening", "GET", "/v1/screenings/{screening_id}", "The audit record of one screening"),
    Route(
        "ReplayScreening",
        "POST",
        "/v1/screenings/{screening_id}:replay",
        "Screen a recorded party again on its list versions and say what differs",
    ),
    Route(
        "WatchAlerts",
        "GET",
        "/v1/alerts",
        "Re-screening alerts as they are raised (Server-Sent Events; resume with after_id or Last-Event-ID)",
        "sse",
    ),
)

_covered = {route.rpc for route in ROUTES}
_missing = [method.name for method in SERVICE.methods if method.name not in _covered]
if _missing:  # a method added to the contract must get its route (and so its OpenAPI entry) here
    raise RuntimeError(f"ScreeningService methods without an HTTP route: {', '.join(_missing)}")
