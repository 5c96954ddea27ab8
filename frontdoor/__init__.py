"""The front door: the HTTP API (and, later, the web app) in front of the releases.

It authenticates the caller, decides the actor from the principal (ACCESS.md), checks the role
table, and forwards each command through `starter.client.ReleaseClient`.
"""
