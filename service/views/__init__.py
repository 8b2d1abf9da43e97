"""What the athlete sees: status, the plan page and chart, the plan as text.

May import: scheduler, config, store, sync. Never daemon or cli.
"""
