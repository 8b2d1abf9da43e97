"""Calendar backends behind two small ports (connectors.base: a read-only Source beside the
writable TrainingCalendar), one package per backend (ics, caldav, google) plus the in-memory
one, built from their config tables by connectors.registry.

May import: nothing of racecal's outside connectors. Never the service (a backend knows no
pass, store or config file), nor the domain: a connector hands out events, and the domain
(scheduler.races, scheduler.busy) reads races and busy time from them.
"""
