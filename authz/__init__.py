"""Authorization: the Casbin model and default policy, compiled decisions, row scopes."""
