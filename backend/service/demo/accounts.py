"""Demo sign-ins for a fresh embedded system (``make run``): an analyst, and a VC user granted the
companies of the demo's first VC firm. Their passwords are generated, shown once and kept in the data
dir (``demo-accounts.txt``, readable by its owner only) so a first user who missed them can find them."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.database import DatabaseManager, crud_sql
from backend.database.models_sql import Company, UserRole
from backend.service.access import Viewer
from backend.service.auth.service import load_viewer
from backend.service.users import service as users
from backend.service.users.schemas import NewUser

ANALYST = "analyst@demo.example.jp"
VC = "vc@demo.example.jp"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: UserRole
    password: str
    companies: list[int]  # the VC user's grants


def is_fresh(settings: Settings) -> bool:
    """An embedded system that has never started: no server configured, no data dir yet."""
    return settings.database_url is None and not settings.embedded_pgdata.exists()


def analyst(session: Session) -> Viewer | None:
    """The demo analyst, when its account exists and is active."""
    user = crud_sql.users.find_by(session, email=ANALYST)
    return None if user is None else load_viewer(session, user.id)


def create_accounts(manager: DatabaseManager) -> list[DemoAccount]:
    """The two demo accounts (after the demo data is in), written to ``demo-accounts.txt``."""
    with manager.session(actor="demo") as session:
        firms = session.execute(select(Company.id, Company.vc_firm).order_by(Company.id)).all()
        first = next((firm for _, firm in firms if firm), None)
        portfolio = [company for company, firm in firms if first is not None and firm == first]
        made = []
        for email, role, grants in ((ANALYST, UserRole.ANALYST, []), (VC, UserRole.VC, portfolio)):
            created = users.create(session, data=NewUser(email=email, role=role, companies=grants))
            assert created.password is not None  # none was given: one was generated
            made.append(DemoAccount(email, role, created.password, grants))
    _keep(manager.settings, made)
    return made


def _keep(settings: Settings, accounts: list[DemoAccount]) -> None:
    path = settings.data_dir.expanduser().resolve() / "demo-accounts.txt"
    lines = [f"{a.role.value}\t{a.email}\t{a.password}" for a in accounts]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write("# role\temail\tpassword (the demo accounts of this data dir)\n" + "\n".join(lines) + "\n")
