"""Every device of the terminals, one package each, built the one way drivers/README.md describes."""
