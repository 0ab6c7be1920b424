"""Plain-Python core of the cadre records: enums, entities and rules.

Nothing here imports SQLAlchemy, Strawberry, Starlette or Casbin.
"""
