"""`python -m service.cli` is `racecal`."""

from service.cli.main import main

main()
