"""Config: the TOML file and RACECAL_* environment, validated into frozen values.

May import: scheduler (the domain values it builds) and the standard library. Never the store,
sync, daemon, views or cli wings, nor any connector.
"""
