"""One small pure module per concern: values in, clean values (and problem reports) out."""
