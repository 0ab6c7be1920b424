"""The `cadre` command: serve, migrate, seed, manage users, issue tokens, export the schema,
verify the audit trail."""

import asyncio
import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from api.settings import get_settings
from domain.enums import Role

app = typer.Typer(help="Cadre records GraphQL API.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Access tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The documentary record (纪实).", no_args_is_help=True)
partner_app = typer.Typer(help="Partner agencies' persisted operations.",
                          no_args_is_help=True)
policy_app = typer.Typer(help="The access policy.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(partner_app, name="partner")
app.add_typer(policy_app, name="policy")


async def _in_transaction(work):  # noqa: ANN001, ANN202
    """Run ``work(session)`` in one transaction on the configured database."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from db.engine import create_engine, create_sessionmaker

    engine = create_engine(get_settings().database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    except (OperationalError, ProgrammingError) as error:
        if "no such table" in str(error) or "does not exist" in str(error):
            _fail("the database has no schema yet: run `cadre db upgrade` first")
        raise
    finally:
        await engine.dispose()


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


async def _install_defaults(session) -> None:  # noqa: ANN001
    from db.catalogue import install_catalogue
    from db.policy_store import install_default_policy

    await install_default_policy(session)
    await install_catalogue(session)
    await _seal_on_upgrade(session)


async def _seal_on_upgrade(session) -> None:  # noqa: ANN001
    """Seal what is unsealed, the chain written before revision 0009 included, when a key
    is configured; without one the sealer of a configured API does it later."""
    from api.audit_keys import signing_key
    from db.audit import seal_batch

    key = signing_key(get_settings())
    if key is None:
        typer.echo("no audit signing key configured: existing audit events stay unsealed "
                   "until the API's sealer runs with one", err=True)
        return
    while (await seal_batch(session, key)) is not None:
        pass


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations, then install the default policy and catalogues if absent.

    Safe to run from several replicas at once: on PostgreSQL the runs take turns.
    """
    from db.migrate import upgrade_serialised

    asyncio.run(upgrade_serialised(get_settings().database_url, _install_defaults))
    typer.echo("database is up to date")


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="Generate the fictional demo city.")] = False,
    size: Annotated[int, typer.Option(help="Number of cadres to generate.")] = 2000,
    if_empty: Annotated[bool, typer.Option("--if-empty",
                                           help="Do nothing when cadres exist.")] = False,
) -> None:
    """Fill the database with deterministic demo data."""
    if not demo:
        raise typer.BadParameter("only --demo data exists", param_hint="--demo")

    from api.progress import phases

    with phases() as progress:
        async def work(session) -> str:  # noqa: ANN001
            from sqlalchemy import func, select

            from db.models import Cadre
            from db.seed import seed_demo

            if if_empty and await session.scalar(select(func.count()).select_from(Cadre)):
                return "demo data already present"
            summary = await seed_demo(session, size=size, progress=progress)
            return f"seeded {summary}"

        outcome = asyncio.run(_in_transaction(work))
    typer.echo(outcome)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[Role, typer.Option(help="Role the user holds.")],
    unit: Annotated[str | None, typer.Option(help="Unit code the role holds over.")] = None,
    cadre_id: Annotated[int | None, typer.Option(help="Cadre record of a cadre user.")] = None,
    display_name: Annotated[str | None, typer.Option()] = None,
    by: Annotated[str | None, typer.Option(
        help="The admin account acting; the only active admin when omitted.")] = None,
) -> None:
    """Create a user account holding one role (add more roles by running it again).

    Goes through the same audited workflow as the API's assignRole, with its rules:
    no account changes its own roles, the admin role excludes data roles.
    """
    from api.user_cli import add_user
    from domain.errors import DomainError

    try:
        asyncio.run(add_user(get_settings().database_url, username=username, role=role,
                             unit_code=unit, cadre_id=cadre_id, display_name=display_name,
                             by=by))
    except DomainError as error:
        _fail(error.message)
    typer.echo(f"user {username} holds {role.value}" + (f" over {unit}" if unit else ""))


@token_app.command("issue")
def token_issue(
    username: str,
    ttl: Annotated[int | None, typer.Option(help="Lifetime in seconds.")] = None,
) -> None:
    """Print a bearer token for USERNAME (and nothing else).

    The token names the account by id and token generation: it stops working when the
    account is deactivated or deleted, or its tokens are revoked.
    """
    from api.auth import issue_token, subject_of

    subject = asyncio.run(_in_transaction(lambda session: subject_of(session, username)))
    if subject is None:
        typer.echo(f"no active user {username}", err=True)
        raise typer.Exit(1)
    typer.echo(issue_token(get_settings(), subject, ttl, username=username))


@token_app.command("issue-partner")
def token_issue_partner(
    name: str,
    agency: Annotated[str, typer.Option(help="The partner agency, e.g. 审计局.")],
    scope: Annotated[list[str], typer.Option(
        help="A field group the token reads (repeat): cadre:basic, evaluation:grade.")],
    unit: Annotated[list[str], typer.Option(help="Code of a unit it reads (repeat).")],
    subunits: Annotated[bool, typer.Option(help="Also the units below them.")] = True,
    days: Annotated[int, typer.Option(min=1, max=366, help="Lifetime in days.")] = 90,
    operation: Annotated[list[str] | None, typer.Option(
        help="SHA-256 of a registered operation it may run (repeat).")] = None,
    by: Annotated[str | None, typer.Option(
        help="The admin account issuing it; the only active admin when omitted.")] = None,
) -> None:
    """Issue a scoped token NAME to a partner agency; prints only its secret, this once."""
    from api.partner_cli import issue_partner
    from domain.errors import DomainError

    try:
        secret = asyncio.run(issue_partner(
            get_settings().database_url, name=name, agency=agency, scopes=scope,
            unit_codes=unit, include_subunits=subunits, days=days, operations=operation or [],
            by=by))
    except DomainError as error:
        _fail(error.message)
    typer.echo(secret)


@partner_app.command("register-operations")
def partner_register_operations(
    manifest: Annotated[Path, typer.Argument(
        help="Apollo's persisted-query manifest or graphql-codegen's persisted documents.",
        exists=True, dir_okay=False, readable=True)],
    token: Annotated[str | None, typer.Option(
        help="Name of a partner token that may then run them.")] = None,
    by: Annotated[str | None, typer.Option(
        help="The admin account registering them; the only active admin when omitted.")
    ] = None,
) -> None:
    """Register the operations of MANIFEST under the ids its clients send; prints the ids."""
    from api.partner_cli import register_operations
    from domain.errors import DomainError

    try:
        ids = asyncio.run(register_operations(
            get_settings().database_url, manifest=manifest.read_text(encoding="utf-8"),
            token_name=token, by=by))
    except DomainError as error:
        _fail(error.message)
    for operation_id in ids:
        typer.echo(operation_id)


def _signing_key_or_fail():  # noqa: ANN202
    from api.audit_keys import signing_key
    from db.audit_keys import KeyProblem

    try:
        key = signing_key(get_settings())
    except (KeyProblem, OSError) as error:
        _fail(f"the audit signing key cannot be read: {error}")
    if key is None:
        _fail("no audit signing key: set CADRE_AUDIT_SIGNING_KEY or "
              "CADRE_AUDIT_SIGNING_KEY_FILE")
    return key


@audit_app.command("public-key")
def audit_public_key() -> None:
    """Print the public key of the checkpoint signing key (hand it to auditors)."""
    from db.audit_keys import public_text

    typer.echo(public_text(_signing_key_or_fail().public))


@audit_app.command("seal")
def audit_seal(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000,
                                            help="Events per checkpoint at most.")] = 2000,
) -> None:
    """Seal every unsealed event into signed checkpoints (the API does so in the background)."""
    from api.audit_keys import note_witness, witness_file
    from db.audit import seal_pending
    from db.engine import create_engine, create_sessionmaker

    key = _signing_key_or_fail()

    async def work() -> list:  # type: ignore[type-arg]
        engine = create_engine(get_settings().database_url)
        try:
            return await seal_pending(create_sessionmaker(engine), key, batch_size)
        finally:
            await engine.dispose()

    written = asyncio.run(work())
    if written:
        note_witness(witness_file(get_settings()), written[-1])
    typer.echo(f"sealed {sum(c.events for c in written)} events "
               f"in {len(written)} checkpoints")


def _public_keys(keys: list[str] | None):  # noqa: ANN202
    from api.audit_keys import verifier
    from db.audit_keys import KeyProblem

    try:
        return verifier(get_settings(), keys)
    except (KeyProblem, OSError) as error:
        _fail(str(error))


@audit_app.command("verify")
def audit_verify(
    batch_size: Annotated[int, typer.Option(min=1, help="Events read per statement.")] = 1000,
    export: Annotated[Path | None, typer.Option(
        help="Verify this export file offline, without the database.")] = None,
    public_key: Annotated[list[str] | None, typer.Option(
        help="Trusted public key (ed25519:… or a file); repeatable. Default: the "
             "configured signing key's.")] = None,
    witness: Annotated[Path | None, typer.Option(
        help="A witness file, or an earlier export, naming a checkpoint that must be "
             "present (default: the configured witness file).")] = None,
    unsealed_bound: Annotated[int | None, typer.Option(
        min=1, help="Report unsealed events older than this many seconds.")] = None,
) -> None:
    """Check every event against its checkpoint, every checkpoint's chain and signature;
    exit 1 naming the first broken link."""
    from datetime import timedelta

    from api.audit_keys import read_witness, witness_file
    from api.progress import counter

    signature_ok = _public_keys(public_key)
    if export is not None:
        from db.audit_export import ExportProblem, verify_export

        try:
            with export.open(encoding="utf-8") as lines, counter("events verified") as progress:
                outcome = verify_export(lines, signature_ok, progress)
        except (OSError, ExportProblem) as error:
            _fail(str(error))
    else:
        settings = get_settings()
        bound = timedelta(seconds=unsealed_bound or settings.audit_unsealed_bound_seconds)
        try:
            noted = read_witness(witness or witness_file(settings))
        except (OSError, ValueError) as error:
            _fail(f"the witness cannot be read: {error}")
        with counter("events verified") as progress:
            async def work(session):  # noqa: ANN001, ANN202
                from db.audit import verify

                return await verify(session, signature_ok, batch_size=batch_size,
                                    progress=progress, unsealed_bound=bound, witness=noted)

            outcome = asyncio.run(_in_transaction(work))
    if outcome.broken is not None:
        typer.echo(f"audit trail broken after {outcome.events} intact events: "
                   f"{outcome.broken}")
        raise typer.Exit(1)
    tail = f", {outcome.unsealed} not sealed yet" if outcome.unsealed else ""
    typer.echo(f"audit trail intact: {outcome.events} events in "
               f"{outcome.checkpoints} checkpoints{tail}")


@audit_app.command("export")
def audit_export(
    output: Annotated[Path, typer.Option(help="File to write (JSON lines).")],
    since: Annotated[str | None, typer.Option(
        help="Only checkpoints sealed at or after this ISO date or time (UTC).")] = None,
) -> None:
    """Write checkpoints and their events for offline verification by an auditor."""
    from datetime import UTC, datetime

    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError:
        raise typer.BadParameter("expected an ISO date or time", param_hint="--since") \
            from None
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)

    async def work(session):  # noqa: ANN001, ANN202
        from db.audit_export import export

        with output.open("w", encoding="utf-8") as file:
            return await export(session, file, start, datetime.now(UTC))

    checkpoints, events = asyncio.run(_in_transaction(work))
    typer.echo(f"exported {checkpoints} checkpoints holding {events} events to {output}")


@policy_app.command("impact")
def policy_impact(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=(
        "Changes, one a line: add|remove, then the rule, e.g. "
        "`remove, p, org, jurisdiction, cadre:personal, read`."))],
) -> None:
    """What the changes in FILE would change, per role and relation and per partner token,
    with record counts (never values), and the impact version to apply them with."""
    from api.policy_cli import impact_of_file
    from db.queries.policy_impact import summary
    from domain.errors import DomainError

    try:
        impact = asyncio.run(impact_of_file(get_settings().database_url, file))
    except DomainError as error:
        _fail(error.message)
    for line in summary(impact):
        typer.echo(line)


@app.command("export-schema")
def export_schema(
    output: Annotated[Path | None, typer.Option(help="File to write; stdout when omitted.")] = None,
    scopes: Annotated[str | None, typer.Option(
        help="Only what a partner token with these scopes (comma-separated) can read.")] = None,
    role: Annotated[str | None, typer.Option(
        help="Only the types and fields this user role can ever read.")] = None,
) -> None:
    """Write the GraphQL SDL generated from the code (a view of it, with --scopes or --role,
    under the default policy)."""
    from api.schema import schema_sdl

    if scopes is not None or role is not None:
        from api.partner_cli import view_sdl
        from domain.errors import DomainError

        if scopes is not None and role is not None:
            _fail("give --scopes or --role, not both")
        try:
            sdl = view_sdl(scopes=scopes, role=role)
        except DomainError as error:
            _fail(error.message)
    else:
        sdl = schema_sdl()
    if output is None:
        typer.echo(sdl, nl=False)
    else:
        output.write_text(sdl, encoding="utf-8")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
    workers: Annotated[int, typer.Option()] = 1,
) -> None:
    """Serve the API (GraphiQL at /graphql)."""
    import uvicorn

    from api.budgets import budget_settings_problem

    settings = get_settings()
    problem = budget_settings_problem(settings)  # refuse a bad configuration
    if problem is not None:                       # before binding the port
        typer.echo(f"configuration error: {problem}", err=True)
        raise SystemExit(1)
    from api.logs import configure_logging

    configure_logging(settings.log_format)
    with _metrics_directory(workers):
        # On SIGTERM, in-flight requests get this long to finish; then they are cancelled.
        # No access log and no log config of uvicorn's: each request's line is ours
        # (api.telemetry), and uvicorn's own lines go through our renderer.
        uvicorn.run("api.main:app", host=host, port=port, workers=workers,
                    log_level="info", access_log=False, log_config=None,
                    timeout_graceful_shutdown=settings.graceful_shutdown_seconds)


@contextlib.contextmanager
def _metrics_directory(workers: int) -> Iterator[None]:
    """With several workers, a fresh PROMETHEUS_MULTIPROC_DIR (unless one is set), so that
    ``/metrics`` on any worker adds up every worker's values; removed on exit."""
    if workers < 2 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="cadre-metrics-") as directory:
        # Set before the workers start: they inherit it, and prometheus-client chooses
        # its storage when a worker imports it.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def main() -> None:
    from pydantic import ValidationError

    try:
        get_settings()
    except ValidationError as error:
        # Only the messages: the rejected values may be secrets.
        for problem in error.errors():
            typer.echo(f"configuration error: {problem['msg']}", err=True)
        raise SystemExit(1) from None
    app()
