"""Thin resolvers: decode arguments, call one query or workflow, map to GraphQL types."""
