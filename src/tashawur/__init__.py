"""Tashawur: participatory regional consultations, from what people say to a traceable diagnosis."""

__version__ = "0.1.0"
