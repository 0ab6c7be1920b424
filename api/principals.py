"""The caller's principal: read once per account, checked on every request.

A user's principal (his roles over units, his cadre file) is kept per process, keyed by
what his token names (account id, token generation). On every request one condition,
`AccountCheck.condition`, decides in the request's own transaction whether the account
still stands as it was read: it exists, is active, has the token's generation, the same
username and cadre file, and the same roles version. The database raises an account's
roles version on every write to its role assignments (migration 0008), whoever writes
them. A deactivation, a revocation, a deletion or a role change therefore applies on
every server from the next request on, as when the principal was read each time, with or
without Redis: nothing is propagated, the request's statement sees it.

Two ways to apply the check:

* the resolver path runs it as a statement of its own (`Principals.verify`), which also
  reads the policy version when the policy channel is not trusted (as the statement
  reading an unknown account's principal always does): identifying a caller costs one
  statement, known or not;
* a compiled plan adds ``check.condition()`` (and, when ``policy_version_wanted``,
  `policy_version_column`) to the columns of its own single statement, and gives what
  they answered to `Principals.settle`: on ``False`` the plan's answer is dropped, the
  principal read again (`None`: answer 401) and the operation planned again.

A query operation carries what remains to prove as a `Proof` in its context: its plan
adds `Proof.columns` to its statement; on the resolver path the commit point
(`api.commits`) runs `Proof.run`, a statement of its own. Nothing is recorded (audited
reads) nor answered unless the proof `holds`; when it does not, the endpoint drops the
answer and runs the operation again for the caller as read anew.

Partner tokens are looked up by hash on every request (`api.auth.partner_principal`), and
the account an OpenID Connect token names by its username.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.authentication import BaseUser

from api.auth import OidcUser, PartnerTokenUser, TokenSubject, TokenUser, partner_principal
from db.models import User
from db.queries import users as user_queries
from domain.principal import Principal


@dataclass(frozen=True)
class AccountCheck:
    """How the account stood when its principal was read; `condition` holds while it
    still stands so."""

    user_id: int
    generation: int
    roles_version: int
    username: str
    cadre_id: int | None

    def condition(self) -> ColumnElement[bool]:
        """True while the account is as it was read (a boolean SQL expression)."""
        return exists().where(User.id == self.user_id, User.active.is_(True),
                              User.token_generation == self.generation,
                              User.roles_version == self.roles_version,
                              User.username == self.username,
                              User.cadre_id.is_not_distinct_from(self.cadre_id)).label("fresh")


    def values(self) -> dict[str, Any]:
        """The bound values of `CHECK_COLUMN`."""
        return {"check_user": self.user_id, "check_generation": self.generation,
                "check_roles": self.roles_version, "check_username": self.username,
                "check_cadre": self.cadre_id}


#: `AccountCheck.condition` with bound parameters (`AccountCheck.values`): one statement
#: text for every account, so a plan carrying it is compiled once.
CHECK_COLUMN: ColumnElement[bool] = exists().where(
    User.id == bindparam("check_user", type_=Integer), User.active.is_(True),
    User.token_generation == bindparam("check_generation", type_=Integer),
    User.roles_version == bindparam("check_roles", type_=Integer),
    User.username == bindparam("check_username", type_=String),
    User.cadre_id.is_not_distinct_from(bindparam("check_cadre", type_=Integer)),
).label("fresh")


def policy_version_column() -> ColumnElement[int]:
    """The database's policy version, as a column for a statement that has other work."""
    return user_queries.POLICY_VERSION


@dataclass(frozen=True)
class Caller:
    """A request's principal; ``check`` is what remains to be proven in its transaction
    (None: read in it, or a partner token, nothing to prove). ``policy_version`` is the
    database's, when the statement that proved the check read it along."""

    principal: Principal
    check: AccountCheck | None = None
    policy_version: int | None = None


@dataclass
class Proof:
    """The account check a query operation still has to prove in its transaction, and what
    the statement proving it answered (``fresh`` None: not yet proven)."""

    check: AccountCheck
    policy_version_wanted: bool
    fresh: bool | None = None
    policy_version: int | None = None

    def columns(self) -> list[ColumnElement[Any]]:
        """Columns to add to a statement doing the operation's work (bound by `values`)."""
        if self.policy_version_wanted:
            return [CHECK_COLUMN, policy_version_column()]
        return [CHECK_COLUMN]

    def values(self) -> dict[str, Any]:
        return self.check.values()

    def record(self, answered: Sequence[Any]) -> None:
        """What `columns` answered, in their order."""
        self.fresh = bool(answered[0])
        self.policy_version = answered[1] if self.policy_version_wanted else None

    async def run(self, session: AsyncSession) -> None:
        """Prove the check in a statement of its own (the resolver path's way)."""
        row = (await session.execute(select(*self.columns()), self.values())).one()
        self.record(row)

    def holds(self, policy_version: int) -> bool:
        """Whether an answer computed under ``policy_version`` stands: proven, the account
        as read and the database's policy not newer."""
        return self.fresh is True and (self.policy_version is None
                                       or self.policy_version <= policy_version)


class Principals:
    """Principals of user accounts, kept per process (a bounded map)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._known: dict[TokenSubject, tuple[Principal, AccountCheck]] = {}

    def known(self, user: BaseUser) -> Caller | None:
        """The cached caller behind a token, with its check still to run; None when the
        account is not cached (then `resolve` reads it)."""
        if isinstance(user, TokenUser):
            known = self._known.get(user.subject)
            if known is not None:
                return Caller(*known)
        return None

    async def resolve(self, session: AsyncSession, user: BaseUser) -> Caller | None:
        """The caller behind an authenticated request, perhaps with a check still to run;
        None when the account is gone, inactive or its tokens revoked, or the partner token
        is unknown, revoked or expired."""
        if isinstance(user, TokenUser):
            known = self._known.get(user.subject)
            if known is not None:
                return Caller(*known)
            return await self._read(session, user.subject)
        if isinstance(user, OidcUser):  # verified once per token; the account read each time
            found = await user_queries.principal(session, user.username)
            return Caller(found) if found is not None else None
        if isinstance(user, PartnerTokenUser):
            partner = await partner_principal(session, user.secret_hash, datetime.now(UTC))
            return Caller(partner) if partner is not None else None
        return None

    async def verify(self, session: AsyncSession, user: BaseUser, caller: Caller, *,
                     policy_version_wanted: bool) -> Caller | None:
        """``caller`` with its check run in ``session`` (one statement, which also reads
        the policy version when ``policy_version_wanted``); None as `resolve`."""
        check = caller.check
        if check is None:
            return caller
        columns: list[ColumnElement[Any]] = [check.condition()]
        if policy_version_wanted:
            columns.append(policy_version_column())
        row = (await session.execute(select(*columns))).one()
        version = row[1] if policy_version_wanted else None
        return await self.settle(session, user, caller, bool(row[0]), version)

    async def settle(self, session: AsyncSession, user: BaseUser, caller: Caller,
                     fresh: bool, policy_version: int | None = None) -> Caller | None:
        """What a check answered (``fresh``), applied: the caller as proven, or read again
        (None: the account no longer accepts this token)."""
        if fresh:
            return Caller(caller.principal, None, policy_version)
        assert isinstance(user, TokenUser)
        self._known.pop(user.subject, None)
        return await self._read(session, user.subject)

    async def _read(self, session: AsyncSession, subject: TokenSubject) -> Caller | None:
        found = await user_queries.principal_of_token(session, *subject)
        if found is None:
            self._known.pop(subject, None)
            return None
        principal, roles_version, policy_version = found
        if len(self._known) >= self._size:
            self._known.clear()  # simplest bound; a refill costs one read per account
        self._known[subject] = (principal, AccountCheck(
            subject.user_id, subject.generation, roles_version, principal.username,
            principal.cadre_id))
        return Caller(principal, None, policy_version)
