"""Google watch channels kept by the cluster ([service] executor = "procrastinate"): every
channel is in the store (service.store.cursors), so a notification posted to any node's
/google/notify is checked against the store, not against what one process opened, and only
notes a change for the athlete (service.store.rounds.note_change): the dispatcher defers one
pass, and a storm of notifications merges into it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from service.daemon.push import Channel, Push
from service.store import cursors
from service.store.database import Store

log = logging.getLogger("racecal.push")


class ClusterPush(Push):
    """A node's webhook: accepts a notification of any channel stored by the cluster. It opens,
    renews and stops nothing itself, and leaves the channels open when the node stops: they are
    the cluster's, not this process's."""

    def __init__(self, webhook_url: str, trigger: Callable[[str], None], store: Store) -> None:
        # No store for the base class: it would take up (and on stop, close) the stored channels.
        super().__init__(webhook_url, trigger)
        self.cluster_store = store

    def _find(self, channel_id: str) -> Channel | None:
        if not channel_id:
            return None
        try:
            kept = cursors.channel(self.cluster_store, channel_id)
        except Exception:  # the store being down: a 403, and Google retries; polling goes on
            log.warning("a push notification could not be checked (the store does not answer)")
            return None
        if kept is None:
            return None
        return Channel(
            kept.id, kept.resource_id, kept.token, kept.athlete_id, kept.calendar_id, kept.expires
        )

    def ensure(self, athlete_id: str, calendars: object) -> None:
        """Nothing: the cluster's channel keeper opens and renews the channels."""

    def forget(self, athlete_id: str) -> None:
        """Nothing: the cluster's channel keeper stops a removed athlete's channels."""

    def stop_all(self) -> None:
        """Nothing: the channels stay open for the nodes still running."""
