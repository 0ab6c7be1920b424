"""One typed settings object, read from the environment (prefix ``CADRE_``)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
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
    ide_assets: Path = Path("node_modules")
    #: Off only for benchmarking the cost of authorization; never in production.
    authz_enabled: bool = True
    #: Queries on the short execution path (api.execution); off: graphql-core's executor.
    compiled_execution: bool = True
    max_page_size: int = 100
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

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> "Settings":
        if self.env == "production":
            if self.jwt_secret == DEVELOPMENT_SECRET or len(self.jwt_secret) < 32:
                raise ValueError("CADRE_JWT_SECRET must be set to a secret of 32+ characters "
                                 "when CADRE_ENV=production")
            if not self.authz_enabled:
                raise ValueError("CADRE_AUTHZ_ENABLED=false is refused in production")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # the fields come from the environment
