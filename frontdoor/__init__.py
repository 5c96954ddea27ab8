"""The front door: the HTTP API (and, later, the web app) in front of the releases, and who may
use it and how they prove it (ACCESS.md).

It authenticates the caller, decides the actor from the principal, checks the role table, and
forwards each command through `starter.client.ReleaseClient`, which signs it.
"""
