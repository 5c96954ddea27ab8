"""Activities: thin adapters between the workflows and the world (mail, the store).

Each is a method on a class built with its dependencies; `worker.py` wires them.
"""
