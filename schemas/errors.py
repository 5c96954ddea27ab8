"""The one exception a rule or a message model raises when a request breaks a rule."""


class Refused(Exception):
    """A request that a rule does not allow.

    The message is one sentence for a person: what was wrong and what would be right.
    """

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence

    def __str__(self) -> str:
        return self.sentence
