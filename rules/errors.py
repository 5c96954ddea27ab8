"""The one exception the rules raise when a request breaks a rule (declared with the models, in
`schemas.errors`, so a model's own checks refuse in the same way)."""

from schemas.errors import Refused

__all__ = ["Refused"]
