"""The export desk's console: sign in, check a party, read the answer, see the lists.

Server-rendered pages over the same door as the HTTP API: every page calls the servicer through
`HttpDoor.call` with the signed-in person's credential, so the console decides nothing itself and
can do nothing its user could not do through the API. The templates only format.

Safety: Jinja2 escapes everything a page shows; the session cookie is HttpOnly, SameSite=Strict
and Secure when the port speaks TLS; every form carries a CSRF token (the session's, or before
sign-in one bound to a cookie of its own); pages send a Content-Security-Policy allowing only
this origin and no script at all.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import grpc
import jinja2
from google.protobuf.message import Message
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from service.api.gen import screening_pb2 as pb
from service.auth.principal import ANONYMOUS
from service.batch.files import BadInput
from service.command_words import DIRECTIONS, PARTY_TYPES, parse_identifier
from service.console.batches import MAX_ROWS, MAX_UPLOAD_BYTES, BatchRuns
from service.console.oidc import CALLBACK_PATH, PENDING_SECONDS, CodeFlow, SignInFailed
from service.console.sessions import Session, SessionStore
from service.http.call import CallAborted
from service.http.problems import HTTP_STATUS

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "screening_session"
SIGN_IN_COOKIE = "screening_sign_in"
OIDC_STATE_COOKIE = "screening_oidc_state"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# Form fields of "Check a party", and the request field each stands for (a refusal names the latter).
FORM_FIELDS = {
    "name": "party.name",
    "party_reference": "party.party_reference",
    "type": "party.type",
    "alternative_names": "party.alternative_names",
    "address": "party.addresses[0].lines",
    "city": "party.addresses[0].city",
    "postal_code": "party.addresses[0].postal_code",
    "country": "party.addresses[0].country",
    "date_of_birth": "party.date_of_birth",
    "direction": "context.direction",
    "destination_country": "context.destination_country",
    "origin_country": "context.origin_country",
    "owners": "party.owners",
    "identifiers": "party.identifiers",
}
# Rows of items on the check form (an import's goods: where from, made by whom).
ITEM_ROWS = 3
ITEM_FIELDS = ("description", "hs_code", "origin_country", "producer")
_ITEM_FIELD = re.compile(r"^context\.items\[(\d+)\]\.(description|hs_code|origin_country|producer)")
MAX_FORM_BYTES = 64 * 1024


def _form_field(request_field: str | None, item_rows: Sequence[int] = ()) -> str | None:
    """The form field a refusal's request field belongs to ("party.alternative_names[2]" -> "alternative_names")."""
    if request_field is None:
        return None
    if found := _ITEM_FIELD.match(request_field):
        # The request's items are the form's filled rows, in order: item k is row item_rows[k].
        position = int(found.group(1))
        row = item_rows[position] if position < len(item_rows) else position
        return f"item_{row}_{found.group(2)}"
    for form_name, path in FORM_FIELDS.items():
        if request_field == path or request_field.startswith((f"{path}[", f"{path}.")):
            return form_name
    return None


def _age(duration: Any) -> str:
    """A list's age as a person reads it: "45 min", "6 h", "3 days"."""
    seconds = duration.seconds
    if seconds < 3600:
        return f"{max(seconds // 60, 0)} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


CARRY_PREFIX = "carry_"
# Changes of a list shown per page.
CHANGES_PAGE = 100
# The review queue's age filter: what a reviewer picks, and the bounds it stands for (min, max hours).
ALERT_AGES = {
    "": ("any age", 0, 0),
    "new": ("raised in the last 24 h", 0, 24),
    "1d": ("waiting over a day", 24, 0),
    "7d": ("waiting over a week", 24 * 7, 0),
    "30d": ("waiting over 30 days", 24 * 30, 0),
}
ALERT_DECISIONS = ("BLOCK", "HOLD", "REVIEW", "CLEAR")


def _queue_filters(query: Mapping[str, str]) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The review queue's filters as the page shows them, the request fields they make (ListAlerts and
    ListReviews take the same), and what is wrong with them."""
    filters = {name: query.get(name, "") for name in ("list_id", "decision", "age", "all")}
    errors = {}
    if filters["decision"] and filters["decision"] not in ALERT_DECISIONS:
        errors["decision"] = f"Choose one of {', '.join(ALERT_DECISIONS)}."
    if filters["age"] not in ALERT_AGES:
        errors["age"] = "Choose an age from the list."
    _, min_hours, max_hours = ALERT_AGES.get(filters["age"], ALERT_AGES[""])
    decision = filters["decision"] if "decision" not in errors else ""
    fields = {
        "list_id": filters["list_id"], "decision": pb.Decision.Value(f"DECISION_{decision}") if decision else 0,
        "min_age_hours": min_hours, "max_age_hours": max_hours, "open_only": not filters["all"], "page_size": 200,
    }  # fmt: skip
    return filters, fields, errors


def _pretty(record_json: str) -> str:
    """An audit record's JSON laid out for reading."""
    try:
        return json.dumps(json.loads(record_json), indent=2, ensure_ascii=False)
    except ValueError:
        return record_json


CHECK_FIELDS = (*FORM_FIELDS, *(f"item_{row}_{name}" for row in range(ITEM_ROWS) for name in ITEM_FIELDS))


def _carried(form: dict[str, str]) -> dict[str, str]:
    """The check form's fields a sign-in form carried (only those: nothing else comes through)."""
    return {name: form[CARRY_PREFIX + name] for name in CHECK_FIELDS if CARRY_PREFIX + name in form}


def _screen_request(form: dict[str, str]) -> tuple[pb.ScreenRequest, list[int]]:
    """The request the form asks for, and which form row each of its items came from."""
    party = pb.Party(
        name=form.get("name", ""), type=PARTY_TYPES.get(form.get("type", "unknown"), pb.PARTY_TYPE_UNSPECIFIED)
    )
    party.alternative_names.extend(
        line.strip() for line in form.get("alternative_names", "").splitlines() if line.strip()
    )
    address = {key: form.get(key, "").strip() for key in ("city", "postal_code", "country")}
    lines = [form["address"].strip()] if form.get("address", "").strip() else []
    if any(address.values()) or lines:
        party.addresses.add(lines=lines, **address)
    if form.get("date_of_birth", "").strip():
        party.date_of_birth = form["date_of_birth"].strip()
    if form.get("party_reference", "").strip():
        party.party_reference = form["party_reference"].strip()
    for line in form.get("owners", "").splitlines():
        if line.strip():
            name, _, share = line.rpartition(":")
            try:
                percent = float(share)
            except ValueError:
                name, percent = line, 0.0  # refused by the service as party.owners[i].share_percent, beside the field
            party.owners.add(name=name.strip(), share_percent=percent)
    for line in form.get("identifiers", "").splitlines():
        if line.strip():
            try:
                party.identifiers.append(parse_identifier(line))
            except ValueError:
                # Refused by the service as party.identifiers[i].value, beside the field.
                party.identifiers.add(type=line.strip()[:64])
    context = pb.TransactionContext(direction=DIRECTIONS.get(form.get("direction", "export"), pb.DIRECTION_UNSPECIFIED))
    item_rows = []
    for row in range(ITEM_ROWS):
        values = {name: form.get(f"item_{row}_{name}", "").strip() for name in ITEM_FIELDS}
        if any(values.values()):
            item_rows.append(row)
            item = context.items.add(
                description=values["description"], hs_code=values["hs_code"], origin_country=values["origin_country"]
            )
            if values["producer"]:
                item.producer.name = values["producer"]
    if form.get("destination_country", "").strip():
        context.destination_country = form["destination_country"].strip()
    if form.get("origin_country", "").strip():
        context.origin_country = form["origin_country"].strip()
    return pb.ScreenRequest(party=party, context=context), item_rows


def _csrf_ok(form: Mapping[str, object], session: Session) -> bool:
    """The form carries the session's CSRF token (compared in constant time)."""
    return secrets.compare_digest(str(form.get("csrf", "")), session.csrf)


def _signed_in(
    handler: Callable[[Console, Request, Session], Awaitable[Response]],
) -> Callable[[Console, Request], Awaitable[Response]]:
    """A page for signed-in users only: without a live session, the browser goes to sign-in."""

    @functools.wraps(handler)
    async def page(self: Console, request: Request) -> Response:
        session = self._session(request)
        if session is None:
            return RedirectResponse("/sign-in", status_code=303)
        return await handler(self, request, session)

    return page


class Console:
    def __init__(self, door: Any, secure_cookies: bool, code_flow: CodeFlow | None = None) -> None:
        self._door = door  # service.http.app.HttpDoor
        self._code_flow = code_flow
        self._sessions = SessionStore()
        self._batches = BatchRuns()
        self._secure = secure_cookies
        # Escaping on for every template, whatever its file name says (a party name is the caller's text).
        environment = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
        self._templates = Jinja2Templates(env=environment)

    # ------------------------------------------------------------ plumbing

    def _page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        response = self._templates.TemplateResponse(request, name, context, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        return response

    def _session(self, request: Request) -> Session | None:
        return self._sessions.get(request.cookies.get(SESSION_COOKIE))

    def _cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, httponly=True, secure=self._secure, samesite="strict", path="/"
        )  # fmt: skip

    async def _form(self, request: Request) -> dict[str, str] | None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
            return None
        form = await request.form(max_files=0, max_fields=64)
        return {key: value for key, value in form.items() if isinstance(value, str)}

    async def _call(self, session: Session, request: Request, rpc: str, message: Message) -> Message:
        answer: Message = await self._door.call(rpc, message, session.authorization, request)
        return answer

    # ------------------------------------------------------------ pages

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/check" if self._session(request) else "/sign-in", status_code=303)

    async def sign_in_form(
        self, request: Request, error: str = "", status: int = 200, carry: dict[str, str] | None = None
    ) -> Response:
        """`carry`: a check form whose session ended, sent back through sign-in so nothing typed is lost."""
        token = secrets.token_urlsafe(24)
        response = self._page(
            request, "sign_in.html", status, csrf=token, error=error, session=None, carry=carry or {},
            auth_required=self._door.auth_required,
            provider=self._code_flow.settings.provider_name if self._code_flow else "",
        )  # fmt: skip
        self._cookie(response, SIGN_IN_COOKIE, token, max_age=3600)
        return response

    async def sign_in(self, request: Request) -> Response:
        form = await self._form(request)
        if form is None or not secrets.compare_digest(
            form.get("csrf", ""), request.cookies.get(SIGN_IN_COOKIE, "") or "-"
        ):
            return await self.sign_in_form(request, "The sign-in form expired: please try again.", 400)
        credential = form.get("credential", "").strip()
        if not credential and self._door.auth_required:
            return await self.sign_in_form(request, "Enter your API key or token.", 400)
        if credential:
            principal = await self._door.authenticate(f"Bearer {credential}")
            if principal is None:
                message = "This key or token is not valid (unknown, revoked or expired)."
                return await self.sign_in_form(request, message, 401)
            authorization, signed_in = f"Bearer {credential}", principal
        else:  # authentication is off (a loopback-only server): calls run as the anonymous principal, as over the API
            authorization, signed_in = "", ANONYMOUS
        session_id, session = self._sessions.create(
            authorization, signed_in.name, frozenset(signed_in.roles), signed_in.expires_at
        )
        carried = _carried(form)
        if carried:  # back to the check form as it was when the session ended: checked again only when sent again
            response = self._page(request, "check.html", session=session, form=carried, errors={}, resumed=True)
        else:
            response = RedirectResponse("/check", status_code=303)
        self._cookie(response, SESSION_COOKIE, session_id)
        response.delete_cookie(SIGN_IN_COOKIE, path="/")
        return response

    async def oidc_start(self, request: Request) -> Response:
        """Off to the identity provider, with a state this browser alone holds (a cookie)."""
        if self._code_flow is None:
            return await self.sign_in_form(request, "Sign-in through an identity provider is not set up here.", 404)
        state, url = self._code_flow.start(self._code_flow.redirect_uri(str(request.base_url)))
        response = RedirectResponse(url, status_code=303)
        # Lax, not Strict: the provider's redirect back is a cross-site navigation, which must carry it.
        response.set_cookie(
            OIDC_STATE_COOKIE, state, max_age=PENDING_SECONDS, httponly=True, secure=self._secure, samesite="lax",
            path="/sign-in/oidc",
        )  # fmt: skip
        return response

    async def oidc_callback(self, request: Request) -> Response:
        if self._code_flow is None:
            return await self.sign_in_form(request, "Sign-in through an identity provider is not set up here.", 404)
        query = request.query_params
        browser_state = request.cookies.get(OIDC_STATE_COOKIE, "")
        if query.get("error"):
            # The provider's own refusal (access_denied, login_required...): its code, never its free text.
            code = query["error"][:64]
            shown = code if code.replace("_", "").isalnum() else "an error"
            return await self._oidc_failed(request, f"The identity provider refused the sign-in ({shown}).")
        try:
            token = await self._code_flow.finish(query.get("state", ""), browser_state, query.get("code", ""))
        except SignInFailed as exc:
            return await self._oidc_failed(request, str(exc))
        principal = await self._door.authenticate(f"Bearer {token}")
        if principal is None:
            return await self._oidc_failed(
                request, "The identity provider's token is not accepted by this service (issuer, audience or expiry): "
                "ask your administrator to check SCREENING_OIDC_* against the provider.",
            )  # fmt: skip
        session_id, _ = self._sessions.create(
            f"Bearer {token}", principal.name, frozenset(principal.roles), principal.expires_at
        )
        # A page, not a redirect: after the provider's cross-site redirect, a redirect to /check would go
        # without the SameSite=Strict session cookie; a navigation started from this page carries it.
        response = self._page(request, "signed_in.html", session=None, principal=principal.name)
        self._cookie(response, SESSION_COOKIE, session_id)
        response.delete_cookie(OIDC_STATE_COOKIE, path="/sign-in/oidc")
        return response

    async def _oidc_failed(self, request: Request, message: str) -> Response:
        response = await self.sign_in_form(request, message, 400)
        response.delete_cookie(OIDC_STATE_COOKIE, path="/sign-in/oidc")
        return response

    async def sign_out(self, request: Request) -> Response:
        session = self._session(request)
        form = await self._form(request) or {}
        if session is not None and _csrf_ok(form, session):
            self._sessions.end(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @_signed_in
    async def check_form(self, request: Request, session: Session) -> Response:
        return self._page(
            request, "check.html", session=session, form={"direction": "export"}, errors={}, resumed=False
        )

    async def check(self, request: Request) -> Response:
        session = self._session(request)
        form = await self._form(request)
        if session is None:
            message = "Your session ended: sign in again. What you typed is kept and shown again after sign-in."
            return await self.sign_in_form(
                request, message, 401, carry={k: v for k, v in (form or {}).items() if k in CHECK_FIELDS}
            )
        if form is None:
            return self._page(
                request, "check.html", 413, session=session, form={}, errors={"name": "The form is too large."}
            )
        if not _csrf_ok(form, session):
            return self._page(request, "check.html", 400, session=session, form=form,
                              errors={"name": "The form expired: please send it again."})  # fmt: skip
        try:
            screen, item_rows = _screen_request(form)
            answer = await self._call(session, request, "Screen", screen)
        except CallAborted as exc:
            if exc.code == grpc.StatusCode.INVALID_ARGUMENT:
                field = _form_field(exc.field or exc.details.split(": ", 1)[0], item_rows) or "name"
                message = exc.details.split(": ", 1)[-1]
                return self._page(request, "check.html", 400, session=session, form=form, errors={field: message})
            return self._page(request, "check.html", 403 if exc.code == grpc.StatusCode.PERMISSION_DENIED else 503,
                              session=session, form=form, errors={"name": exc.details})  # fmt: skip
        return self._page(request, "answer.html", session=session, form=form, answer=answer, pb=pb)

    @_signed_in
    async def lists(self, request: Request, session: Session) -> Response:
        try:
            answer = cast(
                pb.GetListStatusResponse, await self._call(session, request, "GetListStatus", pb.GetListStatusRequest())
            )
        except CallAborted as exc:
            return self._page(request, "lists.html", 403, session=session, lists=[], error=exc.details, pb=pb, age=_age)
        return self._page(request, "lists.html", session=session, lists=answer.lists, error="", pb=pb, age=_age)

    @_signed_in
    async def record(self, request: Request, session: Session) -> Response:
        """A reviewer's disposition of one match, from the answer page."""
        form = await self._form(request) or {}
        if not _csrf_ok(form, session):
            return self._page(request, "disposition.html", 400, session=session, error="The form expired.", pb=pb)
        message = pb.RecordDispositionRequest(
            party_reference=form.get("party_reference", ""), party_fingerprint=form.get("party_fingerprint", ""),
            list_id=form.get("list_id", ""), entry_id=form.get("entry_id", ""),
            kind=form["kind"] if form.get("kind") in pb.DispositionKind.keys() else pb.DISPOSITION_KIND_UNSPECIFIED,  # noqa: SIM118 - a protobuf enum wrapper has no __contains__
            reason=form.get("reason", ""), screening_id=form.get("screening_id", ""),
        )  # fmt: skip
        try:
            recorded = await self._call(session, request, "RecordDisposition", message)
        except CallAborted as exc:
            return self._page(request, "disposition.html", 400, session=session, error=exc.details, pb=pb)
        return self._page(request, "disposition.html", session=session, disposition=recorded, error="", pb=pb)

    @_signed_in
    async def review_queue(self, request: Request, session: Session) -> Response:
        return await self._review_page(request, session, done=request.query_params.get("done", ""))

    async def _review_page(
        self, request: Request, session: Session, refusal: str = "", status: int = 200, done: str = ""
    ) -> Response:
        """Re-screen alerts awaiting a verdict and clearances awaiting a second reviewer, oldest first.

        `refusal`: why the reviewer's last action was refused, shown above the queue it was taken from.
        """
        filters, fields, errors = _queue_filters(request.query_params)
        error = ""
        try:
            found = cast(
                pb.ListDispositionsResponse,
                await self._call(session, request, "ListDispositions", pb.ListDispositionsRequest(pending_only=True)),
            )
            pending = sorted(found.dispositions, key=lambda d: d.recorded_at.ToDatetime())
        except CallAborted as exc:
            pending, error = [], exc.details
        found_lists: dict[str, Any] = {"alerts": None, "reviews": None}
        for rpc, message, key in (
            ("ListReviews", pb.ListReviewsRequest(**fields), "reviews"),
            ("ListAlerts", pb.ListAlertsRequest(**fields), "alerts"),
        ):
            if errors:
                break
            try:
                found_lists[key] = await self._call(session, request, rpc, message)
            except CallAborted as exc:
                field = exc.details.split(":", 1)[0]
                if exc.code == grpc.StatusCode.INVALID_ARGUMENT and field in filters:
                    errors[field] = exc.details.split(":", 1)[1].strip()
                elif exc.code != grpc.StatusCode.UNIMPLEMENTED:
                    error = error or exc.details
        alerts, reviews = found_lists["alerts"], found_lists["reviews"]
        if error and status == 200:
            status = 403
        return self._page(
            request, "review.html", status, session=session, pending=pending, alerts=alerts, reviews=reviews,
            filters=filters,
            filter_errors=errors, lists=self._door.list_ids, ages=ALERT_AGES, decisions=ALERT_DECISIONS,
            error=refusal or error, done=done, pb=pb,
        )  # fmt: skip

    @_signed_in
    async def review(self, request: Request, session: Session) -> Response:
        form = await self._form(request) or {}
        if not _csrf_ok(form, session):
            return await self._review_page(request, session, "The form expired.", 400)
        subject = form.get("subject", "")
        approve = form.get("action") == "approve"
        message = pb.ReviewDispositionRequest(
            party_reference=subject[4:] if subject.startswith("ref:") else "",
            party_fingerprint=subject[3:] if subject.startswith("fp:") else "",
            list_id=form.get("list_id", ""), entry_id=form.get("entry_id", ""),
            version=int(form["version"]) if form.get("version", "").isdigit() else 0, note=form.get("note", ""),
        )  # fmt: skip
        try:
            await self._call(session, request, "ApproveDisposition" if approve else "RejectDisposition", message)
        except CallAborted as exc:
            return await self._review_page(request, session, exc.details, 400)
        return RedirectResponse(f"/review?done={'approved' if approve else 'rejected'}", status_code=303)

    @_signed_in
    async def list_changes(self, request: Request, session: Session) -> Response:
        """What a list version added, removed and changed, a page at a time."""
        list_id = request.path_params["list_id"]
        query = request.query_params
        change = query.get("change", "")
        offset = int(query["offset"]) if query.get("offset", "").isdigit() and len(query["offset"]) < 9 else 0
        message = pb.GetListChangesRequest(
            list_id=list_id, version=query.get("version", ""), change=change, offset=offset, page_size=CHANGES_PAGE
        )
        try:
            changes = await self._call(session, request, "GetListChanges", message)
        except CallAborted as exc:
            status = {grpc.StatusCode.NOT_FOUND: 404, grpc.StatusCode.PERMISSION_DENIED: 403}.get(exc.code, 400)
            return self._page(
                request, "list_changes.html", status, session=session, list_id=list_id, change=change,
                changes=None, error=exc.details,
            )  # fmt: skip
        return self._page(
            request, "list_changes.html", session=session, list_id=list_id, change=change, changes=changes,
            error="", offset=offset, page=CHANGES_PAGE,
        )  # fmt: skip

    @_signed_in
    async def audit_lookup(self, request: Request, session: Session) -> Response:
        """Look a screening up by its id (from an answer page, an ERP log or an examiner's question)."""
        asked = {name: request.query_params.get(name, "").strip() for name in ("screening_id", "screened_on")}
        if not asked["screening_id"]:
            return self._page(request, "audit.html", session=session, asked=asked, record=None, errors={})
        return await self._audit_page(request, session, asked, replay=False)

    @_signed_in
    async def audit_replay(self, request: Request, session: Session) -> Response:
        form = await self._form(request) or {}
        asked = {name: form.get(name, "").strip() for name in ("screening_id", "screened_on")}
        if not _csrf_ok(form, session):
            return self._page(request, "audit.html", 400, session=session, asked=asked, record=None,
                              errors={"screening_id": "The form expired: please send it again."})  # fmt: skip
        return await self._audit_page(request, session, asked, replay=True)

    async def _audit_page(self, request: Request, session: Session, asked: dict[str, str], replay: bool) -> Response:
        lookup = pb.GetScreeningRequest(screening_id=asked["screening_id"], screened_on=asked["screened_on"])
        replayed = None
        try:
            record = cast(pb.ScreeningRecord, await self._call(session, request, "GetScreening", lookup))
            if replay:
                again = pb.ReplayScreeningRequest(screening_id=asked["screening_id"], screened_on=asked["screened_on"])
                replayed = await self._call(session, request, "ReplayScreening", again)
        except CallAborted as exc:
            status = HTTP_STATUS.get(exc.code, 400)
            if replay and exc.code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.RESOURCE_EXHAUSTED):
                return self._page(
                    request, "audit.html", status, session=session, asked=asked, record=record,
                    record_json=_pretty(record.record_json), replayed=None, errors={}, replay_error=exc.details,
                    pb=pb,
                )  # fmt: skip
            field = "screened_on" if exc.details.startswith("screened_on:") else "screening_id"
            return self._page(request, "audit.html", status, session=session, asked=asked, record=None,
                              errors={field: exc.details})  # fmt: skip
        return self._page(
            request, "audit.html", session=session, asked=asked, record=record,
            record_json=_pretty(record.record_json), replayed=replayed, errors={}, replay_error="", pb=pb,
        )  # fmt: skip

    @_signed_in
    async def party(self, request: Request, session: Session) -> Response:
        """A party by its reference: its registration (if any) and every disposition of it, revoked ones too."""
        reference = request.path_params["reference"]
        registered = None
        error = ""
        try:
            registered = await self._call(session, request, "GetParty", pb.GetPartyRequest(party_reference=reference))
        except CallAborted as exc:
            if exc.code != grpc.StatusCode.NOT_FOUND:
                error = exc.details
        history: list[Any] = []
        try:
            listed = cast(
                pb.ListDispositionsResponse,
                await self._call(
                    session,
                    request,
                    "ListDispositions",
                    pb.ListDispositionsRequest(party_reference=reference, include_revoked=True),
                ),
            )
            history = sorted(listed.dispositions, key=lambda d: d.recorded_at.ToDatetime())
        except CallAborted as exc:
            error = error or exc.details
        return self._page(
            request, "party.html", session=session, reference=reference, registered=registered, history=history,
            error=error, pb=pb,
        )  # fmt: skip

    @_signed_in
    async def batch_page(self, request: Request, session: Session) -> Response:
        return self._batch_page(request, session)

    def _batch_page(self, request: Request, session: Session, error: str = "", status: int = 200) -> Response:
        runs = self._batches.of(session.principal)
        return self._page(request, "batch.html", status, session=session, runs=runs, error=error, limit=MAX_ROWS)

    @_signed_in
    async def batch_upload(self, request: Request, session: Session) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
            return self._batch_page(request, session, f"The file is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB.", 413)
        form = await request.form(max_files=1, max_fields=8, max_part_size=MAX_UPLOAD_BYTES)
        upload = form.get("file")
        if not _csrf_ok(form, session):
            return self._batch_page(request, session, "The form expired: please send it again.", 400)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return self._batch_page(request, session, "Choose a .csv or .jsonl file.", 400)
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            return self._batch_page(request, session, f"The file is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB.", 413)
        try:
            run = self._batches.start(
                self._door, session.authorization, request, session.principal, upload.filename, data
            )
        except BadInput as exc:
            return self._batch_page(request, session, str(exc), 400)
        return RedirectResponse(f"/batch/{run.run_id}", status_code=303)

    @_signed_in
    async def batch_run(self, request: Request, session: Session) -> Response:
        run = self._batches.get(request.path_params["run_id"], session.principal)
        if run is None:
            return self._batch_page(request, session, "No such batch of yours (a server restart forgets them).", 404)
        return self._page(request, "batch_run.html", session=session, run=run)

    async def batch_results(self, request: Request) -> Response:
        session = self._session(request)
        run = self._batches.get(request.path_params["run_id"], session.principal) if session else None
        if run is None or not run.finished or run.failure:
            return RedirectResponse("/batch", status_code=303)
        media = "text/csv" if run.fmt == "csv" else "application/x-ndjson"
        response = FileResponse(run.results, media_type=media, filename=run.download_name)
        response.headers.update(SECURITY_HEADERS)
        return response

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/sign-in", self.sign_in_form, methods=["GET"]),
            Route("/sign-in", self.sign_in, methods=["POST"]),
            Route("/sign-in/oidc", self.oidc_start, methods=["GET"]),
            Route(CALLBACK_PATH, self.oidc_callback, methods=["GET"]),
            Route("/sign-out", self.sign_out, methods=["POST"]),
            Route("/check", self.check_form, methods=["GET"]),
            Route("/check", self.check, methods=["POST"]),
            Route("/lists", self.lists, methods=["GET"]),
            Route("/lists/{list_id}/changes", self.list_changes, methods=["GET"]),
            Route("/audit", self.audit_lookup, methods=["GET"]),
            Route("/audit/replay", self.audit_replay, methods=["POST"]),
            Route("/dispositions", self.record, methods=["POST"]),
            Route("/review", self.review_queue, methods=["GET"]),
            Route("/review", self.review, methods=["POST"]),
            Route("/parties/{reference}", self.party, methods=["GET"]),
            Route("/batch", self.batch_page, methods=["GET"]),
            Route("/batch", self.batch_upload, methods=["POST"]),
            Route("/batch/{run_id}", self.batch_run, methods=["GET"]),
            Route("/batch/{run_id}/results", self.batch_results, methods=["GET"]),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]
