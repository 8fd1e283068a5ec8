"""The operations' handlers, one module per tag."""
