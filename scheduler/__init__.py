"""The training domain: races in, a periodized and placed plan out.

Pure: no I/O, no clock, no database. `today`, `now` and the timezone are arguments. Nothing in
this package may import `service` or `connectors`.
"""
