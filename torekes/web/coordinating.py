"""The coordinator's pages: a project's budget and hours, its activities (create, pause, close),
sheets of claim QR codes to print, and claims to approve in bulk."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
