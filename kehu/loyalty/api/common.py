"""The loyalty API's router."""

from ninja import Router

from kehu.core.api import ERROR_RESPONSES, ErrorBody

router = Router(tags=["loyalty"])

READ = {404: ErrorBody, **ERROR_RESPONSES}
WRITE = {404: ErrorBody, 409: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}
