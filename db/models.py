"""SQLAlchemy tables of the cadre records. Every change to them goes through Alembic."""

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from domain import enums


def _enum(cls: type) -> Enum:
    # Stored as plain strings so the same migration runs on SQLite and PostgreSQL.
    return Enum(cls, native_enum=False, length=32, validate_strings=True,
                values_callable=lambda members: [m.value for m in members])


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and read back timezone-aware on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware UTC datetime")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[enums.UnitKind] = mapped_column(_enum(enums.UnitKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)


class Cadre(Base):
    __tablename__ = "cadres"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[enums.Gender] = mapped_column(_enum(enums.Gender))
    birth_date: Mapped[date] = mapped_column(Date)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    position: Mapped[str] = mapped_column(String(100))
    rank: Mapped[enums.Rank] = mapped_column(_enum(enums.Rank))
    leadership_role: Mapped[enums.LeadershipRole] = mapped_column(_enum(enums.LeadershipRole))
    status: Mapped[enums.CadreStatus] = mapped_column(_enum(enums.CadreStatus))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_cadres_unit_id_id", "unit_id", "id"),)


class CadreTypeLabel(Base):
    """A label from the conduct campaign ("8种类型"干部: 守旧型、木偶型…)."""

    __tablename__ = "cadre_type_labels"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    gloss: Mapped[str] = mapped_column(String(200))


class CadreLabel(Base):
    __tablename__ = "cadre_labels"

    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), primary_key=True)
    label_code: Mapped[str] = mapped_column(ForeignKey("cadre_type_labels.code"),
                                            primary_key=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Evaluation(Base):
    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[enums.EvaluationPeriod] = mapped_column(_enum(enums.EvaluationPeriod))
    grade: Mapped[enums.Grade] = mapped_column(_enum(enums.Grade))
    score: Mapped[float | None] = mapped_column(Float)
    work_score: Mapped[float | None] = mapped_column(Float)  # 考事
    conduct_score: Mapped[float | None] = mapped_column(Float)  # 考人
    results_score: Mapped[float | None] = mapped_column(Float)  # 考绩
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str | None] = mapped_column(Text)
    finalised: Mapped[bool] = mapped_column(Boolean, default=False)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("cadre_id", "year", "period", name="uq_evaluations_cadre_period"),
        Index("ix_evaluations_cadre_id_year", "cadre_id", "year"),
    )


class NegativeListItem(Base):
    """One of the 14 kinds of conduct of the negative list (负面清单)."""

    __tablename__ = "negative_list_items"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    gloss: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    item_code: Mapped[str] = mapped_column(ForeignKey("negative_list_items.code"))
    source: Mapped[enums.FindingSource] = mapped_column(_enum(enums.FindingSource))
    description: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    informant: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[enums.FindingStatus] = mapped_column(_enum(enums.FindingStatus))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    verification_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Tokens carry it; raising it refuses every token issued before (revokeUserTokens).
    token_generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Raised by the database on every write to the account's role assignments (migration
    # 0008): a server's cached principal is current while it matches (api.principals).
    roles_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    # Tokens name the account by id: an id is never given to a second account.
    __table_args__ = {"sqlite_autoincrement": True}


class RoleAssignment(Base):
    """A user holds a role over a unit and its descendants (no unit: the role is global)."""

    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[enums.Role] = mapped_column(_enum(enums.Role))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))

    # The constraint treats NULL units as distinct: unit-less roles need the partial index.
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id", name="uq_role_assignment"),
                      Index("uq_role_assignment_unit_less", "user_id", "role", unique=True,
                            sqlite_where=text("unit_id IS NULL"),
                            postgresql_where=text("unit_id IS NULL")))


class CasbinRule(Base):
    """Policy lines read by Casbin through its SQLAlchemy adapter."""

    __tablename__ = "casbin_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    ptype: Mapped[str] = mapped_column(String(255))
    v0: Mapped[str | None] = mapped_column(String(255))
    v1: Mapped[str | None] = mapped_column(String(255))
    v2: Mapped[str | None] = mapped_column(String(255))
    v3: Mapped[str | None] = mapped_column(String(255))
    v4: Mapped[str | None] = mapped_column(String(255))
    v5: Mapped[str | None] = mapped_column(String(255))

    # Each line once; unused values are NULL, so they are compared coalesced.
    __table_args__ = (Index("uq_casbin_rule_line", "ptype",
                            *(text(f"coalesce(v{i}, '')") for i in range(6)), unique=True),)

    def __str__(self) -> str:
        # The adapter reads each rule back as its CSV line.
        values = [self.v0, self.v1, self.v2, self.v3, self.v4, self.v5]
        return ", ".join([self.ptype, *[v for v in values if v is not None]])


class InstalledPolicyFile(Base):
    """A default policy file already written to casbin_rule (each is installed once)."""

    __tablename__ = "installed_policy_files"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)


class PolicyState(Base):
    """A single row whose version rises with every policy change and every write to the unit
    tree (a database trigger, migration 0007); compiled decisions and the cached tree key on it."""

    __tablename__ = "policy_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


# --- the adjustment procedure (能下) and coming back up (能上) ------------------------------

class AdjustmentCase(Base):
    """The procedure adjusting one cadre who is unsuitable for his post."""

    __tablename__ = "adjustment_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    stage: Mapped[enums.CaseStage] = mapped_column(_enum(enums.CaseStage))
    disposition: Mapped[enums.Disposition | None] = mapped_column(_enum(enums.Disposition))
    # The post a REASSIGNMENT or DEMOTION moves the cadre to (decided with the disposition).
    new_position: Mapped[str | None] = mapped_column(String(100))
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    appointed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The post before APPOINTMENT applied the disposition; a revoked appeal restores it.
    previous_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    previous_position: Mapped[str | None] = mapped_column(String(100))
    previous_rank: Mapped[enums.Rank | None] = mapped_column(_enum(enums.Rank))
    previous_status: Mapped[enums.CadreStatus | None] = mapped_column(_enum(enums.CadreStatus))
    version: Mapped[int] = mapped_column(Integer, default=1)

    # One open case per cadre, settled by the database when two openings race.
    __table_args__ = (Index("uq_adjustment_cases_open_per_cadre", "cadre_id", unique=True,
                            sqlite_where=text("stage <> 'CLOSED'"),
                            postgresql_where=text("stage <> 'CLOSED'")),)


class CaseFinding(Base):
    __tablename__ = "case_findings"

    case_id: Mapped[int] = mapped_column(ForeignKey("adjustment_cases.id"), primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), primary_key=True)


class CaseStep(Base):
    """One documented step of a case (纪实): who moved it, when, why, with which documents."""

    __tablename__ = "case_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("adjustment_cases.id"), index=True)
    stage: Mapped[enums.CaseStage] = mapped_column(_enum(enums.CaseStage))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)


class Appeal(Base):
    """The cadre's appeal (申诉) against the decision in his case."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("adjustment_cases.id"), unique=True)
    filed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[enums.AppealStatus] = mapped_column(_enum(enums.AppealStatus))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[enums.AppealOutcome | None] = mapped_column(_enum(enums.AppealOutcome))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ToleranceItem(Base):
    """An entry of the positive (excusable) or negative (never excused) list of 容错纠错."""

    __tablename__ = "tolerance_items"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[enums.ToleranceListKind] = mapped_column(_enum(enums.ToleranceListKind))
    title: Mapped[str] = mapped_column(String(100))
    gloss: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FaultToleranceReview(Base):
    """Whether a confirmed finding is excused (三个区分开来)."""

    __tablename__ = "fault_tolerance_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), unique=True)
    outcome: Mapped[enums.ReviewOutcome] = mapped_column(_enum(enums.ReviewOutcome))
    item_code: Mapped[str | None] = mapped_column(ForeignKey("tolerance_items.code"))
    reasoning: Mapped[str] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FindingStatement(Base):
    """The cadre's own statement on a finding against him."""

    __tablename__ = "finding_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FollowUp(Base):
    """The file kept on an adjusted cadre (逐人建档), with periodic re-checks."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("adjustment_cases.id"), unique=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_check_due: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FollowUpCheck(Base):
    """A periodic re-check (定期复检)."""

    __tablename__ = "follow_up_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), index=True)
    checked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text)


class Retraining(Base):
    """Retraining (回炉重造) recorded in a follow-up file."""

    __tablename__ = "retrainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), index=True)
    course: Mapped[str] = mapped_column(String(200))
    started_on: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)


class Award(Base):
    """Recognition of a cadre, e.g. the "闯创干" award; raises promotion priority."""

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnitEvaluation(Base):
    """A unit's own annual grade; candidates from GOOD-or-better units rank first."""

    __tablename__ = "unit_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    grade: Mapped[enums.Grade] = mapped_column(_enum(enums.Grade))

    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_unit_evaluations_year"),)


class AuditEvent(Base):
    """One entry of the documentary record (纪实): append-only; its hash covers its content
    (and, for events written before revision 0009, the hash of the event before it).
    ``checkpoint_id`` is set once, by the sealer, when a checkpoint takes the event in."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_checkpoint", "checkpoint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str] = mapped_column(String(64))
    record_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    checkpoint_id: Mapped[int | None] = mapped_column(Integer, default=None)


class AuditCheckpoint(Base):
    """A signed batch of audit events, chained to the checkpoint before it (db.audit)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    previous_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_event_id: Mapped[int] = mapped_column(Integer)
    last_event_id: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class AuditHead(Base):
    """The newest hash of the chain written before revision 0009; read-only since then,
    kept so that ``verify`` notices the chained events' newest ones deleted."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


# --- partner agencies (scoped tokens) and persisted operations --------------------------

class PartnerToken(Base):
    """A scoped token issued to a partner agency; only a hash of its secret is kept."""

    __tablename__ = "partner_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    agency: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(128), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    include_subunits: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The token's own operation limits, measure → limit (`domain.budgets`); NULL: the
    #: partner defaults.
    budget: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)


class PersistedOperation(Base):
    """An operation registered by the admin; partners run operations by their hash only."""

    __tablename__ = "persisted_operations"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TokenOperation(Base):
    """Which persisted operations a partner token may run."""

    __tablename__ = "token_operations"

    token_id: Mapped[int] = mapped_column(ForeignKey("partner_tokens.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("persisted_operations.sha256"),
                                        primary_key=True)
