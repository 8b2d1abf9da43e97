"""The store as the backends' vault (connectors.registry.Vault): the credentials an athlete
granted on the web (/connect/google), sealed with the service's keys (service.store.secrets).
The keys are read when a stored token is first opened, so an install that keeps its tokens in
files (`racecal auth google`) needs none."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import AuthError
from service.config.load import AthleteConfig
from service.store import onboarding, secrets
from service.store.database import Store


class StoreVault:
    def __init__(self, store: Store, entry: AthleteConfig) -> None:
        self.store = store
        self.athlete_id = entry.athlete.id
        self.keys = entry.secret_keys
        self._sealer: secrets.Sealer | None = None

    def sealer(self) -> secrets.Sealer:
        if self._sealer is None:
            self._sealer = secrets.sealer(*self.keys, os.environ)
        return self._sealer

    def credentials(self, kind: str) -> Mapping[str, Any] | None:
        if kind != "google" or not onboarding.has_google(self.store, self.athlete_id):
            return None
        try:
            return onboarding.google(self.store, self.sealer(), self.athlete_id)
        except secrets.SecretError as exc:
            raise AuthError(f"athlete {self.athlete_id}: stored Google token: {exc}") from None

    def keep(self, kind: str, info: Mapping[str, Any]) -> None:
        if kind != "google":
            return
        try:
            sealer = self.sealer()
        except secrets.SecretError as exc:
            raise AuthError(f"athlete {self.athlete_id}: stored Google token: {exc}") from None
        onboarding.save_google(self.store, sealer, self.athlete_id, dict(info), datetime.now(UTC))
