"""The one settings object; every value can be set by a GRIDRISK_* environment variable."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDRISK_", env_file=None, extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of an existing PostGIS database; unset = the embedded cluster.",
    )
    data_dir: Path = Field(
        default=Path(".gridrisk"),
        description="Where the embedded cluster, models and outputs live.",
    )
    pg_bin_dir: Path | None = Field(
        default=None,
        description="PostgreSQL binaries for the embedded cluster; unset = newest under "
        "/usr/lib/postgresql.",
    )
    pg_run_as: str = Field(
        default="postgres",
        description="Unprivileged system user that runs the embedded server when gridrisk runs "
        "as root (PostgreSQL refuses to run as root).",
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="Local time zone: bundle dates without a time are midnight here.",
    )
    lang: str = Field(default="zh", description="Interface language: zh or en.")
    model_threads: int | None = Field(
        default=None,
        description="Threads for fitting and scoring the risk model; unset = every core. "
        "On a machine shared with the database, 1 avoids OpenMP stalls.",
    )
    dask_address: str | None = Field(
        default=None,
        description="Dask scheduler for `--engine dask` cycles (tcp://host:8786); unset = a "
        "LocalCluster on this machine's cores.",
    )
    tile_url: str = Field(
        default="",
        description="Base-map tile URL template ({z}/{x}/{y}) on a server the users' network "
        "reaches; empty = maps draw region outlines on a plain background.",
    )
    tile_attribution: str = Field(
        default="", description="Credit for the base-map tiles, shown on the map."
    )
    map_max_cells: int = Field(
        default=1500, ge=1,
        description="Above this many cells a map draws them from vector tiles "
        "(/tiles/cells/...) instead of embedding them in the page.",
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1024,
        description="Largest request body the service reads; a larger one is refused with 413 "
        "before it is parsed.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Addresses of reverse proxies whose X-Forwarded-For/-Proto headers are "
        "trusted (the client's address in the audit log, https for Secure cookies); "
        "comma-separated, '*' for any.",
    )
    policy_file: Path | None = Field(
        default=None,
        description="Deadlines and screening cadences (TOML); unset = the shipped defaults.",
    )
    secret_key_file: Path | None = Field(
        default=None,
        description="The key that seals complainant contacts (generated on first use, mode "
        "0600); unset = secret.key in the data directory. Keep it off the database's disk "
        "and in every backup's safe (docs/privacy.md).",
    )

    @property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def secret_key_path(self) -> Path:
        if self.secret_key_file is not None:
            return self.secret_key_file.expanduser().resolve()
        return self.data_path / "secret.key"

    @property
    def models_path(self) -> Path:
        """The model registry: trained models, their cards and reports."""
        return self.data_path / "models"


@lru_cache
def get_settings() -> Settings:
    return Settings()
