"""The pure rules of SEC Releases.

Nothing in this package imports Temporal, SQLAlchemy or SMTP code: every function takes the
dates and data it needs (including `today`/`now`) as arguments, so the rules are tested with
plain pytest and hypothesis and can be passed through the Temporal workflow sandbox.
"""
