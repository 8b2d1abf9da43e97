"""One sync pass for one athlete: read the sources and the training calendar, decide (pure),
act through one executor, record the outcome.

May import: scheduler, connectors.base (the port), config, store. Never daemon, views or cli,
and never a backend module.
"""
