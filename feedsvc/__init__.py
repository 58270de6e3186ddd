"""feedsvc: publish a newsroom's plain-text export as RSS, Atom and JSON Feed."""

__version__ = "0.1.0"
