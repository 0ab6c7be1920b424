"""The request's one commit point, and a savepoint around each root mutation field.

A request runs in one transaction (its unit of work is deferred, see `db.uow`).
Workflows flush their change; the mutation's payload and the audited reads of the
answer are built in the same transaction; then `commit_operation` commits once,
before the answer leaves. If that commit fails, the answer becomes an error and
says nothing was done, which is the truth.

GraphQL runs the root fields of a mutation one after the other, so each runs in its
own savepoint: a field refused half way (a `DomainError` after some writes) rolls
back its own writes only, and the fields that succeeded, and the audited reads of
the answer, still commit.

Each root mutation field also runs under its declaration (`api.writes`): what it may
write and how its audit event reads; the events are appended at the commit point.
"""

import inspect
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLResolveInfo

from api.reads import write_reads, write_reads_alone
from api.writes import WRITES
from authz.writes import Write


def install_savepoints(schema: strawberry.Schema) -> None:
    """Run every root mutation field of ``schema`` in its own savepoint, under its declaration.

    Raises:
        LookupError: a mutation field that `api.writes` does not declare.
    """
    mutation_type = schema._schema.mutation_type
    if mutation_type is None:
        return
    undeclared = sorted(set(mutation_type.fields) - set(WRITES))
    if undeclared:
        raise LookupError(f"mutations without a declaration in api.writes: {undeclared}")
    for name, field in mutation_type.fields.items():
        if field.resolve is not None:
            field.resolve = _in_savepoint(field.resolve, WRITES[name])


def _in_savepoint(resolve: Callable[..., Any], write: Write) -> Callable[..., Any]:
    async def resolve_in_savepoint(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        info.context.uow.declare(write)
        async with info.context.uow.savepoint():
            result = resolve(root, info, **kwargs)
            return await result if inspect.isawaitable(result) else result

    return resolve_in_savepoint


async def commit_operation(context: Any, result: Any, *, mutation: bool) -> None:
    """Record the answer's audited reads and commit the request's transaction.

    An answer without data reports nothing done and returned nothing audited, so its
    transaction is rolled back instead; so is one whose caller's account check (a query's
    `api.principals.Proof`) does not hold: the endpoint drops it and answers again.

    Args:
        context: the request's context (its unit of work and reads).
        result: the operation's result (an ``ExecutionResult``), not yet sent.
        mutation: whether the operation is a mutation (which wrote in savepoints).

    Raises:
        Exception: whatever the audit write or the commit raised; the caller answers
            with an error instead of the result.
    """
    uow = context.uow
    proof = getattr(context, "proof", None)
    if proof is not None:
        if proof.fresh is None:  # the resolver path: the caller is proven here
            if result.errors:
                # A failed statement may have left the transaction unusable (PostgreSQL);
                # the versions the check compares only grow, so a later proof holds for
                # the answer too.
                await uow.rollback()
            await proof.run(uow.session)
        if not proof.holds(context.policy.compiled.version):
            await uow.rollback()  # the endpoint answers again, for the caller read anew
            return
    if result.data is None:
        await uow.rollback()
        return
    deadline = getattr(context, "deadline", None)
    if deadline is not None:
        # From here the change commits or fails on its own: a deadline cancelling the
        # commit half way could answer TIMEOUT for a change that stands.
        deadline.reschedule(None)
    # The changes' audit events first, then the reads of the answer built on them.
    await uow.append_events()
    reads = getattr(context, "reads", None)
    if reads:
        if result.errors and not mutation:
            # A query writes nothing but its reads; a statement that failed may have
            # left its transaction unusable (PostgreSQL), so they go in a fresh one.
            await uow.rollback()
        if not mutation and not uow.in_transaction:
            await write_reads_alone(context)  # one statement, its own transaction
            return
        await write_reads(context)
        await uow.commit()
    elif uow.pending:
        await uow.commit()
