"""Workflows: one module per aggregate, plain functions named by verb.

Each takes the unit of work and the caller's `Scope`, applies the domain rules,
asks authz whether the caller may write, and completes the unit of work once at the
end (`UnitOfWork.complete`: committed at once by a command, at the end of a request
by the API).
"""
