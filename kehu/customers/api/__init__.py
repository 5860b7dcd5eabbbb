"""The customer archive's HTTP API: ``router`` under ``/customers``, ``settings_router`` at the
root (``/channels``, ``/custom-fields``)."""

from kehu.customers.api.customers import router
from kehu.customers.api.settings import router as settings_router

__all__ = ["router", "settings_router"]
