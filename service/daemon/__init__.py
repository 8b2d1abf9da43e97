"""The long-running service: the executors (APScheduler in one process, procrastinate
workers on many: queue.py), lifecycle and sd_notify, health, metrics,
Google push channels and the HTTP endpoint that serves the views.

The HTTP server lives here rather than in views because it serves the daemon's live state
(readiness, push webhooks, metrics); the pages it returns come from views.

May import: scheduler, connectors, config, store, sync, views. Never cli.
"""
