"""racecal daemon: config, store, sync and CLI around the pure `scheduler` domain."""
