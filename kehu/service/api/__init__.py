"""``/api/v1/cases/`` and ``/api/v1/feedback/``: service cases with their SLA and satisfaction,
and customer feedback (客户知识).

Scope: a case or a piece of feedback is visible exactly when its customer is (404 otherwise, as
for customers). Leaders and marketers read; working cases needs a case-working role (403).
A move the case's status does not allow is 409; so is rating a case twice.
"""

from kehu.service.api.cases import cases_router, email_router
from kehu.service.api.feedback import feedback_router

__all__ = ["cases_router", "email_router", "feedback_router"]
