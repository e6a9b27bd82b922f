"""One module per CLI command group; each has ``register(subparsers)``. Heavy imports stay inside
the command functions so that `kg --help` starts fast."""
