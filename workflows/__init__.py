"""Workflows: one module per aggregate, plain functions named by verb.

Each takes the unit of work and the caller's `Scope`, applies the domain rules,
asks authz whether the caller may write, and commits once at the end.
"""
