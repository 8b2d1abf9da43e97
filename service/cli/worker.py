"""`racecal worker`: a procrastinate worker for racecal's queue ([service] executor =
"procrastinate"); run one on each machine that should run passes."""

from __future__ import annotations

import logging

import click

from service.cli.looking import fail
from service.cli.opening import open_store
from service.config.load import CONFIG_HELP
from service.daemon.lifecycle import configure_logging
from service.store.database import StoreError

log = logging.getLogger("racecal")


@click.command("worker", short_help="Run passes from the shared queue (executor procrastinate).")
@click.option("--config", "config", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Passes this worker runs at once (one athlete's passes never overlap).",
)
def worker(config: str | None, concurrency: int) -> None:
    """Run passes from the queue every worker shares: with [service] executor =
    "procrastinate", start one `racecal worker` on each machine (any number, one PostgreSQL).
    Together they sync every athlete every interval_minutes and after each change, one pass
    of an athlete at a time. The worker brings the store's schema and procrastinate's up to
    date first. SIGTERM or Ctrl-C lets the passes under way finish, then exits.

    With [service] http set, the worker is also a node: it serves what racecal run serves
    (/healthz naming this worker, /readyz, /metrics, the plan page, feeds, workout files,
    Google's webhook) and watches the athletes' race, busy and runs files; a notification,
    a saved file or a session handed back on the page notes a change, and the next dispatch
    tick (every 2 s) runs one pass on whichever worker is free.

    \b
    Examples:
      racecal worker --config /etc/racecal/config.toml
      racecal worker --concurrency 8
    """
    loaded, store = open_store(config)
    if loaded.service.executor != "procrastinate":
        fail(
            f'{loaded.path}: racecal worker needs [service] executor = "procrastinate" '
            "(the embedded executor runs in racecal run)"
        )
    try:
        from service.daemon import queue  # noqa: PLC0415 (the optional extra)
    except ImportError:
        fail("racecal worker needs procrastinate: pip install 'racecal[scale]'")
    configure_logging(loaded.service.log_format)
    # procrastinate's own trouble (a task that raised, a lost connection) in racecal's log.
    ours = logging.getLogger("racecal")
    theirs = logging.getLogger("procrastinate")
    theirs.handlers[:] = ours.handlers
    theirs.setLevel(logging.WARNING)
    theirs.propagate = False
    try:
        queue.apply_schema(store.engine)
    except StoreError as exc:
        fail(str(exc))
    state = queue.Worker(loaded, store, loaded.service.interval_minutes * 60)
    app = queue.make_app(state)
    log.info("racecal worker %s: %d pass(es) at once", state.name, concurrency)
    if not loaded.service.http:
        try:
            queue.run(app, state.name, concurrency)
        finally:
            state.close()
        return
    from service.daemon.node import Node  # noqa: PLC0415 (with the queue's extra)

    node = Node(loaded, store, state.name)
    state.metrics = node.metrics
    try:
        if not node.begin():  # the address is taken: said in the log
            node.close()
            raise SystemExit(2)
        node.beside(lambda: queue.run(app, state.name, concurrency, node.state.queue_beat))
    finally:
        state.close()
