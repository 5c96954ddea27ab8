"""The `sec-release` command line (the product's front door)."""
