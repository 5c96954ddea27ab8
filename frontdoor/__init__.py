"""The front door: who may use sec-release over HTTP, and how they prove it (ACCESS.md)."""
