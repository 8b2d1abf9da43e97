"""Config: the TOML file and RACECAL_* environment, validated against a declared schema
(schema.py, built from the kinds in fields.py) and turned into frozen values (load.py).

May import: scheduler (the domain values it builds), connectors.registry and
connectors.settings (each backend declares its own [athletes.<kind>] table: the config checks
it and hands it over without knowing its keys), pydantic, SQLAlchemy's URL parser (to check
database_url, imported only for a URL that is not a plain SQLite file's) and the standard
library. Never the store, sync, daemon, views or cli wings, nor a backend's calendar code.
"""
