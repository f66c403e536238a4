"""The one error the EDI codecs raise: it names the segment a partner has to fix."""


class EdiError(ValueError):
    """An interchange cannot be read or does not add up.

    `segment` is the tag to look at ("SE", "UNT", "IEA"), `position` its 1-based index in the
    interchange (ISA or UNB is 1; a UNA service string advice is not counted), when known.
    """

    def __init__(self, message: str, *, segment: str | None = None, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.segment = segment
        self.position = position

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"{self.message} (segment {self.position})"
