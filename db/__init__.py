"""Persistence: SQLAlchemy models, the unit of work, queries, migrations and the demo seed."""
