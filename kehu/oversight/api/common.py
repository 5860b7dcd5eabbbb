"""The oversight API's router."""

from ninja import Router

router = Router(tags=["oversight"])
