"""``replica:`` settings: how replicas on one PostgreSQL share sources, the engine and the outbox."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.durations import Duration


class ReplicaConfig(BaseModel):
    """Lease timing. A dead replica's leases move after at most ``lease_ttl`` (+ one ``renew_interval``)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="this replica's name in leases and /healthz "
                                                     "(default: host name and process id)")
    lease_ttl: Duration = Field(default=timedelta(seconds=20), description="a lease not renewed for this long "
                                "is taken over by another replica (source polling, the engine)")
    renew_interval: Duration = Field(default=timedelta(seconds=5), description="how often held leases are "
                                     "renewed and free ones sought")
    claim_ttl: Duration = Field(default=timedelta(seconds=120), description="an outbox delivery claimed by a "
                                "replica that died is retried by another after this long (at-least-once window)")

    @model_validator(mode="after")
    def _order(self) -> ReplicaConfig:
        if self.renew_interval * 2 > self.lease_ttl:
            raise ValueError(f"renew_interval ({self.renew_interval}) must be at most half of lease_ttl "
                             f"({self.lease_ttl}), or a live replica loses its leases between renewals")
        return self
