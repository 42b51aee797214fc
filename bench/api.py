"""Authenticated API reads through the real server vs a constant route of the same size on that server.

    .venv/bin/python bench/api.py [--seconds 5] [--clients 8] [--rounds 2] [--url postgresql+psycopg://...]
                                  [--against REV] [--ceilings]

Seeds one company with 100 employees, a VC user granted that company and an analyst (embedded
PostgreSQL in a temporary directory unless --url, embedded document store), then serves the app with
uvicorn on 127.0.0.1 in a second process, plus one unauthenticated route that answers, from memory,
the very bytes the real routes answer. A pool of keep-alive HTTP clients (threads) then measures:

- GET /api/v1/companies/{id} as the VC user (session lookup, user and grants, tenant-scoped read)
- GET /api/v1/employees?company_id=..&limit=100 as the analyst (100 rows, signed cursor)

each against the constant route, alternating, and prints requests per second, p50/p99 latency and
the ratio project / constant (1.0 = the project costs nothing; the target is >= 0.3).

``--ceilings`` also measures two routes that do less than the project's, to show what the target
asks for. Both answer the very same bytes, run in the event loop (no thread hop), sign nobody in and
take no dependencies:

- bare: the same read through the project's repository (``crud_sql``) and Public schema;
- raw: one hand-written query on a raw psycopg connection, rows validated into the same Public
  schema and serialised, the least a Python answer with a checked schema can do.

``--against REV`` serves the same data with the code of another revision too (say, ``main~3``), in a
second server, and interleaves the runs of both: on a machine whose speed drifts, the fair way to
tell whether a change made the API faster.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Response
from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.config import Settings
from backend.database import DatabaseManager, crud_sql, init_db
from backend.database.postgres import create_db_engine
from backend.service.auth import service as auth

EMPLOYEES = 100


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(settings: Settings) -> dict[str, Any]:
    """The data and sessions the measured requests read; returns paths, tokens and expected bodies."""
    manager = DatabaseManager()
    manager.configure(settings)
    init_db()
    with manager.session(actor="bench") as session:
        company = crud_sql.companies.create(
            session, data={"name": "ベンチ株式会社", "employee_count": EMPLOYEES}
        )
        for n in range(EMPLOYEES):
            crud_sql.employees.create(
                session, data={"company_id": company.id, "employee_code": f"E{n:04d}", "department": "開発"}
            )
        vc = crud_sql.users.create(session, data={"email": "vc@bench.jp", "display_name": "VC", "role": "vc"})
        analyst = crud_sql.users.create(
            session, data={"email": "analyst@bench.jp", "display_name": "Analyst", "role": "analyst"}
        )
        crud_sql.company_access.create(session, data={"user_id": vc.id, "company_id": company.id})
        client = auth.Client(address="127.0.0.1")
        tokens = {
            who: auth.open_session(session, manager.documents, settings, user=user, client=client).token
            for who, user in (("vc", vc), ("analyst", analyst))
        }
    cases = {
        "company": (f"/api/v1/companies/{company.id}", tokens["vc"]),
        "employees": (f"/api/v1/employees?company_id={company.id}&limit={EMPLOYEES}", tokens["analyst"]),
    }
    from backend.api.app import create_app

    local = TestClient(create_app(migrate=False, settings=settings))
    bodies = {}
    for name, (path, token) in cases.items():
        response = local.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        bodies[name] = response.text
    DatabaseManager.reset()
    return {"cases": cases, "bodies": bodies, "company_id": company.id}


def serve(port: int, constants_file: str) -> None:
    """(The server process.) The app plus /bench/constant/{name} answering the stored bytes, and
    the ceiling routes (see ``add_ceilings``)."""
    import uvicorn

    from backend.api.app import create_app

    constants = {k: v.encode() for k, v in json.loads(Path(constants_file).read_text()).items()}
    app = create_app()
    add_ceilings(app)

    @app.get("/bench/constant/{name}", include_in_schema=False)
    async def constant(name: str) -> Response:  # the cheapest route FastAPI has: no thread, no I/O
        return Response(content=constants[name], media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def add_ceilings(app: FastAPI) -> None:
    """/bench/bare/{name}/{company_id} and /bench/raw/{name}/{company_id}: the reads of the two cases
    without sign-in, dependencies or thread hop; through the repository, or through raw psycopg.
    Blocking in the event loop, which no real route may do: it is the cheapest way, so a ceiling."""
    import psycopg
    from pydantic import TypeAdapter

    from backend.api.paging import Page
    from backend.service.records.schemas import CompanyPublic, EmployeePublic

    manager = DatabaseManager()
    page = TypeAdapter(Page[EmployeePublic])
    held: dict[str, psycopg.Connection[Any]] = {}

    def raw_rows(sql: str, *params: Any) -> list[dict[str, Any]]:
        if not held:  # the app's own server and schema, one connection outside SQLAlchemy
            url = manager.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            schema = manager.settings.database_schema
            held["conn"] = psycopg.connect(
                url, autocommit=True, options=f"-c search_path={schema}" if schema else ""
            )
        cursor = held["conn"].execute(sql, params, prepare=True)
        names = [column.name for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    company_sql = (
        f"SELECT {', '.join(CompanyPublic.model_fields)} FROM companies WHERE id = %s AND id = ANY(%s)"
    )
    employees_sql = (
        f"SELECT {', '.join(EmployeePublic.model_fields)} FROM employees WHERE company_id = %s "
        f"ORDER BY id LIMIT {EMPLOYEES + 1}"
    )

    @contextmanager
    def reading() -> Iterator[Any]:
        session = manager.open_session(read_only=True)
        try:
            yield session
        finally:
            manager.end_session(session)

    @app.get("/bench/bare/company/{company_id}", include_in_schema=False)
    async def bare_company(company_id: int) -> Response:
        with reading() as session:
            row = crud_sql.companies.read(session, company_id, within=frozenset({company_id}))
            body = CompanyPublic.model_validate(row).model_dump_json()
        return Response(content=body, media_type="application/json")

    @app.get("/bench/bare/employees/{company_id}", include_in_schema=False)
    async def bare_employees(company_id: int) -> Response:
        with reading() as session:
            rows = crud_sql.employees.list(session, company_id=company_id, limit=EMPLOYEES).items
            items = [dict(zip(row._fields, row, strict=True)) for row in rows]
        return Response(content=page.dump_json(page.validate_python({"items": items, "next_cursor": None})))

    @app.get("/bench/raw/company/{company_id}", include_in_schema=False)
    async def raw_company(company_id: int) -> Response:
        (row,) = raw_rows(company_sql, company_id, [company_id])
        return Response(content=CompanyPublic.model_validate(row).model_dump_json())

    @app.get("/bench/raw/employees/{company_id}", include_in_schema=False)
    async def raw_employees(company_id: int) -> Response:
        rows = raw_rows(employees_sql, company_id)[:EMPLOYEES]
        return Response(content=page.dump_json(page.validate_python({"items": rows, "next_cursor": None})))


def load(
    port: int, path: str, headers: dict[str, str], *, seconds: float, clients: int, size: int
) -> dict[str, float]:
    """Requests per second and latency percentiles of ``clients`` keep-alive connections for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    start = threading.Barrier(clients + 1)
    stop_at = 0.0

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        mine = latencies[i]
        while (now := time.perf_counter()) < stop_at:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200 or len(body) != size:
                errors.append(f"{response.status} {len(body)} bytes: {body[:200]!r}")
                return
            mine.append(time.perf_counter() - now)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at = time.perf_counter() + seconds + 0.05
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"{path}: {errors[0]}")
    every = sorted(x for mine in latencies for x in mine)
    return {
        "rps": len(every) / elapsed,
        "p50": every[len(every) // 2] * 1000,
        "p99": every[int(len(every) * 0.99)] * 1000,
        "n": len(every),
    }


ROOT = Path(__file__).resolve().parent.parent


def run(args: argparse.Namespace, tmp: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLNESS_")}
    env["WELLNESS_DATA_DIR"] = str(tmp / "data")
    env["WELLNESS_EMBEDDED_WORKER"] = os.environ.get("WELLNESS_EMBEDDED_WORKER", "true")  # compare: =false
    schema = None
    if args.url:
        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_db_engine(args.url, Settings(_env_file=None, database_url=args.url))  # type: ignore[call-arg]
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        env |= {"WELLNESS_DATABASE_URL": args.url, "WELLNESS_DATABASE_SCHEMA": schema}
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp / "data", database_url=args.url, database_schema=schema
    )
    print("seeding ...")
    seeded = seed(settings)
    constants = tmp / "constants.json"
    constants.write_text(json.dumps(seeded["bodies"]))
    trees = {"this": ROOT}
    if args.against:
        trees[args.against] = checkout(args.against, tmp / "against")
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    try:
        for label, tree in trees.items():  # the same data, served by each checkout's own code
            port = free_port()
            command = [sys.executable, str(tree / "bench" / "api.py"), "--serve", str(port), str(constants)]
            servers[label] = port, subprocess.Popen(command, env=env | {"PYTHONPATH": str(tree)}, cwd=tree)
            wait_until_up(port, servers[label][1])
        report(measure(seeded, servers, args), seeded["bodies"], args)
    finally:
        for _, server in servers.values():
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
        if args.against:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "against")])
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def checkout(rev: str, where: Path) -> Path:
    """A git worktree of ``rev`` (its code must read this checkout's schema: the same migrations)."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), rev],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"--against {rev}: git worktree add failed: {done.stderr.strip()}")
    return where


def measure(
    seeded: dict[str, Any], servers: dict[str, tuple[int, subprocess.Popen[bytes]]], args: argparse.Namespace
) -> dict[str, dict[tuple[str, str], list[dict[str, float]]]]:
    """Each case on each server, the project route and the constant route in turn; the order of
    the runs flips every round, so a machine that speeds up or slows down favours no side."""
    results: dict[str, dict[tuple[str, str], list[dict[str, float]]]] = {}
    for name, (path, token) in seeded["cases"].items():
        size = len(seeded["bodies"][name].encode())
        urls = {
            "project": (path, {"Authorization": f"Bearer {token}"}),
            "constant": (f"/bench/constant/{name}", {}),
        }
        for side in CEILINGS if args.ceilings else ():
            urls[side] = (f"/bench/{side}/{name}/{seeded['company_id']}", {})
            same_bytes(servers["this"][0], urls[side][0], seeded["bodies"][name])
        # the ceiling routes are this checkout's; another revision's server may not have them
        runs = [(at, side) for at in servers for side in urls if at == "this" or side not in CEILINGS]
        for label, side in runs:  # warm up
            load(servers[label][0], *urls[side], seconds=0.5, clients=args.clients, size=size)
        for round_ in range(args.rounds):
            for label, side in runs if round_ % 2 == 0 else runs[::-1]:
                port = servers[label][0]
                measured = load(port, *urls[side], seconds=args.seconds, clients=args.clients, size=size)
                results.setdefault(name, {}).setdefault((label, side), []).append(measured)
                print(f"  {name:<9} {label:<8} {side:<8} round {round_ + 1}: {measured['rps']:8.0f} req/s")
    return results


CEILINGS = {
    "bare": "  same read, no sign-in, no deps, no hop",
    "raw": "  raw psycopg + Public schema, no sign-in",
}


def same_bytes(port: int, path: str, expected: str) -> None:
    """A ceiling route must answer exactly what the project route answers, or it measures less work."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    if response.status != 200 or body != expected:
        raise SystemExit(f"{path} does not answer the project's bytes: {response.status} {body[:200]!r}")


def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited before it answered")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz within 60 s")


def report(
    results: dict[str, dict[tuple[str, str], list[dict[str, float]]]], bodies: dict[str, str], args: Any
) -> None:
    rounds = f"{args.rounds} rounds of {args.seconds:g} s each"
    print(f"\n{args.clients} keep-alive clients, {rounds}; best round shown")
    width = 48 + (len(args.against) + 4 if args.against else 0)
    print(f"{'request':<{width}} {'bytes':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    labels = {
        "company": "GET /api/v1/companies/{id}  (VC, scoped)",
        "employees": "GET /api/v1/employees?limit=100  (analyst)",
    }
    for name, sides in results.items():
        size = len(bodies[name].encode())

        def row(label: str, runs: list[dict[str, float]], size: int = size) -> None:  # a side's best round
            r = max(runs, key=lambda r: r["rps"])
            print(f"{label:<{width}} {size:>6} {r['rps']:>8.0f} {r['p50']:>7.2f} {r['p99']:>7.2f}")

        for server in dict.fromkeys(label for label, _ in sides):
            project, constant = sides[(server, "project")], sides[(server, "constant")]
            row(labels[name] + ("" if server == "this" else f"  [{server}]"), project)
            row("  same bytes, constant route", constant)
            print_ratio("project", project, constant)
            for side, label in CEILINGS.items():
                if (server, side) in sides:
                    row(label, sides[(server, side)])
                    print_ratio(side, sides[(server, side)], constant)


def print_ratio(side: str, measured: list[dict[str, float]], constant: list[dict[str, float]]) -> None:
    """The best round's ratio to the constant route, each round's (taken next to each other), the median."""
    ratios = [p["rps"] / c["rps"] for p, c in zip(measured, constant, strict=True)]
    best = max(m["rps"] for m in measured) / max(c["rps"] for c in constant)
    per_round = ", ".join(f"{r:.2f}" for r in ratios)
    print(
        f"  ratio {side}/constant: {best:.2f}"
        f"  (per round {per_round}; median {statistics.median(ratios):.2f}; target >= 0.3)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--url", help="PostgreSQL URL; default: an embedded server in a temporary directory")
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also serve the code of git revision REV (a worktree) on the same data, runs interleaved",
    )
    parser.add_argument(
        "--ceilings",
        action="store_true",
        help="also measure the same reads without sign-in (repository, and raw psycopg): what 0.3 asks",
    )
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "CONSTANTS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1])
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(args, Path(tmp))


if __name__ == "__main__":
    main()
