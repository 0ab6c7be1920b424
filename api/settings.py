"""One typed settings object, read from the environment (prefix ``CADRE_``)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-secret-change-me-000000000000"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CADRE_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        "sqlite+aiosqlite:///var/cadre.db",
        validation_alias=AliasChoices("DATABASE_URL", "CADRE_DATABASE_URL"),
    )
    redis_url: str | None = Field(None, validation_alias=AliasChoices("REDIS_URL",
                                                                      "CADRE_REDIS_URL"))
    jwt_secret: str = DEVELOPMENT_SECRET
    jwt_issuer: str = "cadre-records"
    token_ttl_seconds: int = 8 * 3600

    # -- OpenID Connect (api.oidc): access tokens of the organisation's identity provider.
    #: The provider's issuer URL, exactly as its tokens' ``iss`` (Keycloak:
    #: ``https://HOST/realms/REALM``); unset: only the built-in tokens are accepted.
    oidc_issuer: str | None = None
    #: The ``aud`` every accepted token must carry (required with an issuer).
    oidc_audience: str | None = None
    #: The JWK set's URL; unset: read from the issuer's discovery document.
    oidc_jwks_url: str | None = None
    #: The claim naming the account of this database the token stands for.
    oidc_username_claim: str = Field("preferred_username", min_length=1)
    oidc_algorithms: list[Literal["RS256", "ES256"]] = Field(["RS256", "ES256"], min_length=1)
    #: Seconds the JWK set is kept before it is fetched again.
    oidc_jwks_cache_seconds: float = Field(300.0, gt=0)
    #: At most one fetch per this many seconds for a key id the set does not hold.
    oidc_jwks_refresh_seconds: float = Field(30.0, ge=0)
    oidc_http_timeout_seconds: float = Field(5.0, gt=0)
    #: Clock skew allowed on ``exp``, ``nbf`` and ``iat``.
    oidc_leeway_seconds: int = Field(30, ge=0, le=300)
    #: The IDE's built assets (`npm run build`, api.graphiql).
    ide_assets: Path = Path("ide/dist")
    #: Off only for benchmarking the cost of authorization; never in production.
    authz_enabled: bool = True
    #: Queries on the short execution path (api.execution); off: graphql-core's executor.
    compiled_execution: bool = True
    #: Query operations the SQL compiler covers run as one statement (api.compiler);
    #: off: on the resolver path (the equivalence test compares the two).
    sql_plans: bool = True
    max_page_size: int = 100
    #: Statistics for partner tokens: cells counting fewer records are suppressed, and
    #: every count is given in steps of it (domain.statistics).
    statistics_min_group_size: int = Field(5, ge=2, le=1000)
    #: Rule 5: years without promotion after an adjustment (影响期), counted from APPOINTMENT.
    cooling_off_years_removal: int = Field(1, ge=0, le=50)
    cooling_off_years_demotion: int = Field(2, ge=0, le=50)
    #: ... after the other dispositions (reassignment, awaiting a post, rank track).
    cooling_off_years_other: int = Field(1, ge=0, le=50)
    #: Months between two follow-up re-checks (定期复检).
    followup_recheck_months: int = Field(6, ge=1, le=120)
    #: Requests per minute per user (api.ratelimit); 0: unlimited.
    rate_limit_per_minute: int = Field(600, ge=0)
    #: Requests per minute per partner token; 0: unlimited.
    partner_rate_limit_per_minute: int = Field(120, ge=0)

    # -- Containment (api.budgets, api.http): every request is bounded in size, shape and time.
    #: Largest request body accepted, in bytes (HTTP 413 beyond it).
    max_body_bytes: int = Field(1_000_000, ge=1024)
    #: Largest ``variables`` object, in bytes of its JSON text.
    max_variables_bytes: int = Field(64_000, ge=256)
    #: Operation budgets of user roles; ``budgets_by_role`` overrides them per role, e.g.
    #: ``CADRE_BUDGETS_BY_ROLE='{"discipline": {"cost": 50000}}'``.
    budget_max_document_bytes: int = Field(20_000, ge=100)
    budget_max_tokens: int = Field(2_000, ge=10)
    budget_max_depth: int = Field(12, ge=2)
    budget_max_aliases: int = Field(30, ge=0)
    budget_max_root_fields: int = Field(20, ge=1)
    budget_max_cost: int = Field(50_000, ge=1)
    budgets_by_role: dict[str, dict[str, int]] = Field(default_factory=dict)
    #: Partner tokens' budgets (tighter); a token's own ``budget`` overrides them.
    partner_budget_max_document_bytes: int = Field(8_000, ge=100)
    partner_budget_max_tokens: int = Field(1_000, ge=10)
    partner_budget_max_depth: int = Field(8, ge=2)
    partner_budget_max_aliases: int = Field(10, ge=0)
    partner_budget_max_root_fields: int = Field(5, ge=1)
    partner_budget_max_cost: int = Field(10_000, ge=1)
    #: Seconds a request may run before it is cancelled and answers TIMEOUT.
    request_timeout_seconds: float = Field(10.0, gt=0)
    #: Seconds ``cadre serve`` waits for in-flight requests on SIGTERM.
    graceful_shutdown_seconds: int = Field(10, ge=0)
    #: PostgreSQL session limits on the API's connections, in milliseconds.
    db_statement_timeout_ms: int = Field(8_000, ge=0)
    db_lock_timeout_ms: int = Field(2_000, ge=0)
    db_idle_in_transaction_timeout_ms: int = Field(15_000, ge=0)
    #: Seconds to wait for a pooled connection before answering UNAVAILABLE.
    db_pool_timeout_seconds: float = Field(2.0, gt=0)
    #: Seconds a client is asked to wait (``Retry-After``) when a dependency is down.
    retry_after_seconds: int = Field(2, ge=1)
    #: Fields one operation may select, fragments expanded, and directives it may use
    #: (users, partners): both bound what validation walks before anything runs.
    budget_max_fields: int = Field(300, ge=1)
    partner_budget_max_fields: int = Field(100, ge=1)
    budget_max_directives: int = Field(50, ge=0)
    partner_budget_max_directives: int = Field(10, ge=0)

    # -- Production posture (api.http, api.graphiql).
    #: Introspection answers each caller his own view of the schema; off: refused.
    #: Unset: on in development and test, off in production.
    introspection: bool | None = None
    #: The GraphiQL page; unset: on in development and test, off in production.
    ide_enabled: bool | None = None
    #: Origins allowed to call the API from a browser (CORS); none by default.
    cors_origins: list[str] = Field(default_factory=list)

    # -- Operating it (api.metrics, api.logs).
    #: ``GET /metrics`` on the API's port, without authentication: keep it off the public
    #: network (route only ``/graphql`` through the proxy), or turn it off.
    metrics_enabled: bool = True
    #: One JSON line per event on stdout; ``console`` for a developer's terminal.
    log_format: Literal["json", "console"] = "json"

    @property
    def ide_served(self) -> bool:
        return self.ide_enabled if self.ide_enabled is not None else self.env != "production"

    @property
    def introspection_served(self) -> bool:
        if self.introspection is not None:
            return self.introspection
        return self.env != "production"

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> "Settings":
        if self.env == "production":
            if self.jwt_secret == DEVELOPMENT_SECRET or len(self.jwt_secret) < 32:
                raise ValueError("CADRE_JWT_SECRET must be set to a secret of 32+ characters "
                                 "when CADRE_ENV=production")
            if not self.authz_enabled:
                raise ValueError("CADRE_AUTHZ_ENABLED=false is refused in production")
        return self

    @model_validator(mode="after")
    def _check_oidc(self) -> "Settings":
        if self.oidc_issuer is None:
            return self
        if not self.oidc_audience:
            raise ValueError("CADRE_OIDC_AUDIENCE must be set with CADRE_OIDC_ISSUER")
        if self.oidc_issuer == self.jwt_issuer:
            raise ValueError("CADRE_OIDC_ISSUER must differ from CADRE_JWT_ISSUER")
        secure = ("https://",) if self.env == "production" else ("https://", "http://")
        for name, url in (("ISSUER", self.oidc_issuer), ("JWKS_URL", self.oidc_jwks_url)):
            if url is not None and not url.startswith(secure):
                raise ValueError(f"CADRE_OIDC_{name} must be an {' or '.join(secure)} URL")
        return self

    # -- Access freshness
    #: Seconds between pings on the policy channel (Redis).
    policy_heartbeat_seconds: float = Field(0.25, gt=0)
    #: A channel that has not answered for this long is not trusted: the policy version is
    #: read from the database on every request until it answers again.
    policy_channel_timeout_seconds: float = Field(1.0, gt=0)
    #: How often the version is read anyway while the channel is healthy (a change whose
    #: announcement never reached Redis).
    policy_poll_seconds: float = Field(1.0, gt=0)

    # -- Scale-out
    #: PostgreSQL connections one API process keeps pooled, and how many more it may open
    #: under load: N processes open at most N × (pool size + overflow), which must fit in
    #: pgbouncer's pool (or PostgreSQL's ``max_connections`` without pgbouncer). An overflow
    #: connection is closed as soon as it is returned to a full pool: under sustained load
    #: that is a new PostgreSQL session per request (measured with 10 + 10 and 16 clients:
    #: 273 sessions opened in 11 s, the p99 at 186 ms instead of 42), so the pool itself is
    #: sized for the load and overflow is off by default.
    db_pool_size: int = Field(20, ge=1)
    db_max_overflow: int = Field(0, ge=0)
    #: The database URL names a pgbouncer in transaction pooling: no prepared statement is
    #: kept or reused between transactions, and the session limits are not sent at
    #: connection start (pgbouncer refuses them); set them on the role instead (README).
    db_pgbouncer: bool = False

    # -- Documentary record (db.audit, api.sealing, api.audit_keys)
    #: The key that signs audit checkpoints (Ed25519): a PEM private key, or the base64 of
    #: its 32-byte seed. Never stored in the database.
    audit_signing_key: SecretStr | None = None
    #: ... or a file holding it. With neither, development and test use
    #: ``var/audit-signing-key.pem`` (created on first use); production seals nothing
    #: until a key is configured, and `cadre audit verify` reports the unsealed events.
    audit_signing_key_file: Path | None = None
    #: Public keys trusted besides the signing key's own (``ed25519:…``): retired keys.
    audit_trusted_public_keys: list[str] = Field(default_factory=list)
    #: Seconds between two rounds of the API's background sealer; 0: no background sealer.
    audit_seal_interval_seconds: float = Field(1.0, ge=0)
    #: Events per checkpoint at most.
    audit_seal_batch: int = Field(2000, ge=1, le=10_000)
    #: `cadre audit verify` reports unsealed events older than this.
    audit_unsealed_bound_seconds: int = Field(300, ge=1)
    #: A file outside the database where the sealer notes its newest checkpoint; `verify`
    #: requires that checkpoint, so removing the newest checkpoints with their events is
    #: noticed. Unset: ``var/audit-witness.json`` in development and test, none in production.
    audit_witness_file: Path | None = None


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # the fields come from the environment
