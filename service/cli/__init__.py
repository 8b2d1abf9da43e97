"""`racecal ...`: the command line, `init`, `doctor` and `auth`.

May import every other wing; nothing imports cli.
"""
