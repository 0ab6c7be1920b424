"""Which fields are audited on read, declared as policy data (the field group ``audited``).

The set is read from the shipped policy files, like the guarded types, because the
schema is built once before any database is open; a policy edited in the database
therefore cannot switch auditing off.
"""

from authz.policy import default_policy_lines, memory_enforcer

#: The field group whose members are audited when read.
AUDITED_GROUP = "audited"


def audited_fields(lines: list[list[str]] | None = None) -> frozenset[str]:
    """``Type.field`` names in the group ``audited`` (directly or through nested groups).

    Args:
        lines: policy lines ``[ptype, v0, ...]``; the default policy when omitted.
    """
    lines = default_policy_lines() if lines is None else lines
    groups = memory_enforcer(lines).get_named_role_manager("g2")
    named = {line[1] for line in lines if line[0] == "g2" and "." in line[1]}
    return frozenset(name for name in named if groups.has_link(name, AUDITED_GROUP))


#: The audited fields of the default policy.
AUDITED_FIELDS = audited_fields()
