"""Stackable pathways: the pathway document, checking a learner's stack against it, awarding
the completion credential.

- :mod:`~registry.pathways.document`: the document, read into a typed :class:`Pathway`;
- :mod:`~registry.pathways.checking`: :func:`check`, a stack of credentials against a pathway.
"""

from registry.pathways.checking import Subject, StackResult, check, read_request
from registry.pathways.document import Pathway, is_pathway, read

__all__ = ["Pathway", "StackResult", "Subject", "check", "is_pathway", "read", "read_request"]
