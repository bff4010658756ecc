"""Errors that services raise for a person to read (a Japanese message, shown as is)."""

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    """An action was refused; the message says why, for the user who asked for it."""


class StateError(ServiceError):
    """The object is not in a state that allows this action."""
