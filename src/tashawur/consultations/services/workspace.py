"""The staff workspace's writes: consultations, meetings, agenda items, workshops, invitations."""

from __future__ import annotations
