"""The route table: every /api/v1 route, who may call it, and whether its data belongs to companies.

The access check (``deps.authorize``) and the tests both read this table, and the app refuses to
start when a route has no entry (or an entry no route), so a new route cannot ship unguarded.

Roles: ``admin`` everything; ``analyst`` (the Startup Wellness team) every company's data, no user
management; ``vc`` reads company-level data (company, P&L, invoices, payments) of its granted
companies only, never employee-level records. ``tenant`` marks data that belongs to companies: a VC
user sees only its granted companies' rows, and any other row answers 404 as a missing one would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.requests import Request
from starlette.routing import BaseRoute

from backend.database.models_sql import UserRole
from backend.errors import Forbidden

PREFIX = "/api/v1"
_CONVERTOR = re.compile(r":[a-z]+}")
PUBLIC: frozenset[UserRole] = frozenset()
EVERYONE = frozenset(UserRole)
STAFF = frozenset({UserRole.ADMIN, UserRole.ANALYST})
ADMIN = frozenset({UserRole.ADMIN})


@dataclass(frozen=True)
class Rule:
    method: str
    path: str
    roles: frozenset[UserRole]
    tenant: bool

    @property
    def public(self) -> bool:
        return not self.roles

    @property
    def openapi_path(self) -> str:
        """The path as the OpenAPI document spells it (``{path:path}`` is ``{path}`` there)."""
        return _CONVERTOR.sub("}", self.path)


# fmt: off
_TABLE: tuple[tuple[str, str, frozenset[UserRole], bool], ...] = (
    # method    path                                     roles      tenant
    ("POST",    "/auth/login",                           PUBLIC,    False),
    ("POST",    "/auth/logout",                          EVERYONE,  False),
    ("GET",     "/auth/me",                              EVERYONE,  False),
    ("GET",     "/users",                                ADMIN,     False),
    ("POST",    "/users",                                ADMIN,     False),
    ("GET",     "/users/{user_id}",                      ADMIN,     False),
    ("PATCH",   "/users/{user_id}",                      ADMIN,     False),
    ("GET",     "/users/{user_id}/grants",               ADMIN,     False),
    ("POST",    "/users/{user_id}/grants",               ADMIN,     False),
    ("DELETE",  "/users/{user_id}/grants/{company_id}",  ADMIN,     False),
    ("GET",     "/audit-logs",                           ADMIN,     False),
    ("GET",     "/companies",                            EVERYONE,  True),
    ("POST",    "/companies",                            STAFF,     False),
    ("GET",     "/companies/{id}",                       EVERYONE,  True),
    ("PATCH",   "/companies/{id}",                       STAFF,     True),
    ("DELETE",  "/companies/{id}",                       ADMIN,     True),
    ("GET",     "/employees",                            STAFF,     True),
    ("POST",    "/employees",                            STAFF,     True),
    ("GET",     "/employees/{id}",                       STAFF,     True),
    ("PATCH",   "/employees/{id}",                       STAFF,     True),
    ("DELETE",  "/employees/{id}",                       STAFF,     True),
    ("GET",     "/financial-statements",                 EVERYONE,  True),
    ("POST",    "/financial-statements",                 STAFF,     True),
    ("GET",     "/financial-statements/{id}",            EVERYONE,  True),
    ("PATCH",   "/financial-statements/{id}",            STAFF,     True),
    ("DELETE",  "/financial-statements/{id}",            STAFF,     True),
    ("GET",     "/invoices",                             EVERYONE,  True),
    ("POST",    "/invoices",                             STAFF,     True),
    ("GET",     "/invoices/{id}",                        EVERYONE,  True),
    ("PATCH",   "/invoices/{id}",                        STAFF,     True),
    ("DELETE",  "/invoices/{id}",                        STAFF,     True),
    ("GET",     "/payments",                             EVERYONE,  True),
    ("POST",    "/payments",                             STAFF,     True),
    ("GET",     "/payments/{id}",                        EVERYONE,  True),
    ("PATCH",   "/payments/{id}",                        STAFF,     True),
    ("DELETE",  "/payments/{id}",                        STAFF,     True),
    ("GET",     "/treatments",                           STAFF,     True),
    ("POST",    "/treatments",                           STAFF,     True),
    ("GET",     "/treatments/{id}",                      STAFF,     True),
    ("PATCH",   "/treatments/{id}",                      STAFF,     True),
    ("DELETE",  "/treatments/{id}",                      STAFF,     True),
    ("GET",     "/surveys",                              STAFF,     True),
    ("POST",    "/surveys",                              STAFF,     True),
    ("GET",     "/surveys/{id}",                         STAFF,     True),
    ("PATCH",   "/surveys/{id}",                         STAFF,     True),
    ("DELETE",  "/surveys/{id}",                         STAFF,     True),
    ("GET",     "/chats",                                STAFF,     True),
    ("POST",    "/chats",                                STAFF,     True),
    ("GET",     "/chats/{id}",                           STAFF,     True),
    ("PATCH",   "/chats/{id}",                           STAFF,     True),
    ("DELETE",  "/chats/{id}",                           STAFF,     True),
    ("POST",    "/ingest/files",                         STAFF,     True),
    ("GET",     "/ingest/jobs/{job_id}",                 STAFF,     False),
    ("GET",     "/ingest/templates/{dataset}",           STAFF,     False),
    # aggregates: VC users see them over at least 5 employees; segments describe individuals
    ("GET",     "/analyses",                             EVERYONE,  False),
    ("GET",     "/analyses/jobs/{job_id}",               EVERYONE,  False),
    ("POST",    "/reports",                              EVERYONE,  True),
    ("GET",     "/reports",                              EVERYONE,  False),
    ("GET",     "/reports/{report_id}",                  EVERYONE,  False),
    ("DELETE",  "/reports/{report_id}",                  EVERYONE,  False),
    ("POST",    "/analyses/vas_change",                  EVERYONE,  True),
    ("POST",    "/analyses/wellness_score",              EVERYONE,  True),
    ("POST",    "/analyses/correlation",                 EVERYONE,  True),
    ("POST",    "/analyses/regression",                  EVERYONE,  True),
    ("POST",    "/analyses/roi",                         EVERYONE,  True),
    ("POST",    "/analyses/segments",                    STAFF,     True),
    ("GET",     "/admin/events",                         ADMIN,     False),
    ("POST",    "/admin/events/dead-letters/{event_id}/replay", ADMIN, False),
    # signed with the form's secret instead of a sign-in: see backend/service/ingest/google_forms
    ("POST",    "/ingest/google-forms/{form_id}",        PUBLIC,    False),
    ("GET",     "/ingest/google-forms",                  STAFF,     True),
    ("POST",    "/ingest/google-forms",                  STAFF,     True),
    ("GET",     "/ingest/google-forms/{form_id}",        STAFF,     True),
    ("PATCH",   "/ingest/google-forms/{form_id}",        STAFF,     True),
    ("DELETE",  "/ingest/google-forms/{form_id}",        STAFF,     True),
    ("POST",    "/ingest/google-forms/{form_id}/secret", STAFF,     True),
    ("GET",     "/ingest/google-forms/{form_id}/deliveries", STAFF, True),
    ("DELETE",  "/ingest/google-forms/{form_id}/deliveries/{delivery_id}", STAFF, True),
    ("POST",    "/ingest/google-forms/{form_id}/deliveries/{delivery_id}/replay", STAFF, True),
    # signed, expiring links instead of a sign-in (a report's files): see backend/service/storage/links
    ("GET",     "/files/{path:path}",                    PUBLIC,    False),
)
# fmt: on

RULES: tuple[Rule, ...] = tuple(
    Rule(method, PREFIX + path, roles, tenant) for method, path, roles, tenant in _TABLE
)
_BY_KEY = {(rule.method, rule.path): rule for rule in RULES}


Bound = dict[tuple[int, str], Rule]  # (id of the route object, method) -> its rule


def bind(routes: Sequence[BaseRoute]) -> Bound:
    """Pair every API route under the prefix with its rule; RuntimeError naming each route without
    a rule and each rule without a route, so an app that disagrees with the table never starts."""
    bound: Bound = {}
    declared: set[tuple[str, str]] = set()
    for context in iter_route_contexts(routes):
        route, path = context.original_route, context.path or ""
        if not isinstance(route, APIRoute) or not path.startswith(PREFIX + "/"):
            continue
        for method in route.methods or ():
            declared.add((method, path))
            if (rule := _BY_KEY.get((method, path))) is not None:
                bound[(id(route), method)] = rule
    missing = sorted(declared - _BY_KEY.keys())
    stale = sorted(_BY_KEY.keys() - declared)
    if missing or stale:
        lines = [f"  no rule for {m} {p}: add it to _TABLE in backend/api/policy.py" for m, p in missing]
        lines += [f"  rule without a route: {m} {p}" for m, p in stale]
        raise RuntimeError("The route table and the routes disagree:\n" + "\n".join(lines))
    return bound


def rule_for(request: Request) -> Rule:
    """The table's entry for the route serving ``request``; Forbidden when it has none (fail closed)."""
    bound: Bound = getattr(request.app.state, "rules", {})
    rule = bound.get((id(request.scope.get("route")), request.method))
    if rule is None:
        raise Forbidden(
            f"{request.method} {request.url.path} has no entry in the route table; nobody may call it."
        )
    return rule
