"""The longest text each kind of input may hold, in characters: one table.

Every String an operation accepts is declared with one of these (``api.inputs.text``),
and the domain rules of each kind read the same number. A limit never exceeds the
column that stores the text (``db/models.py``; ``tests/db/test_limits.py`` checks each
one against its column), so an over-long value is refused as input and never reaches
the database. Text columns have no length of their own; their limits are chosen for
the kind of text. PostgreSQL counts characters as Python does (code points), so a
limit means the same on both databases.
"""

# A cadre's record.
PERSON_NAME = 50  # cadres.name
POSITION = 100  # cadres.position, adjustment_cases.new_position
ID_NUMBER = 18  # cadres.id_number
PHONE = 20  # cadres.phone

# Evaluations, findings and the cadre's own words.
COMMENT = 2_000  # evaluations.comment (Text)
ITEM_CODE = 16  # negative_list_items.code, tolerance_items.code
DESCRIPTION = 4_000  # findings.description (Text)
EVIDENCE = 10_000  # findings.evidence (Text)
INFORMANT = 100  # findings.informant
REASONING = 4_000  # fault_tolerance_reviews.reasoning (Text)
STATEMENT = 4_000  # finding_statements.text (Text)

# The adjustment procedure, appeals and follow-up.
NOTE = 4_000  # case_steps.note, appeals.decision_note (Text)
DOCUMENT = 200  # one reference in case_steps.documents (JSON)
GROUNDS = 4_000  # appeals.grounds (Text)
CHECK_NOTE = 2_000  # follow_up_checks.note (Text)
COURSE = 200  # retrainings.course
AWARD_TITLE = 100  # awards.title

# Administration: users, policy, partner tokens, persisted operations.
USERNAME = 64  # users.username, audit_events.actor
UNIT_CODE = 32  # units.code
POLICY_TYPE = 8  # casbin_rule.ptype: p, g or g2
POLICY_VALUE = 100  # casbin_rule.v0 … v5
TOKEN_NAME = 100  # partner_tokens.name
AGENCY = 100  # partner_tokens.agency
SCOPE = 64  # one entry of partner_tokens.scopes (JSON)
OPERATION_NAME = 100  # persisted_operations.name
OPERATION_TEXT = 20_000  # persisted_operations.query (Text)
OPERATION_HASH = 64  # persisted_operations.sha256: 64 (SHA-256) or 40 (SHA-1) hex digits

# Lists: no list input holds more items, whatever it lists (ids, references, hashes …);
# a longer one would also exceed what PostgreSQL takes as parameters of one statement.
LIST_ITEMS = 100

# Filters and arguments of queries.
SEARCH = 50  # part of a name or post title
CURSOR = 64  # an opaque page cursor
IDENTIFIER = 64  # names of types, fields, record types and actions (audit_events.record_type)

# A persisted-operation manifest (Apollo's or graphql-codegen's JSON) given to the GraphQL
# mutation as one text: within the request's variables limit (64 KB by default); a larger
# one is registered with `cadre partner register-operations`, which reads the file itself.
MANIFEST = 60_000
