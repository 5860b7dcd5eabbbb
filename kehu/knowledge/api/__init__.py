"""``/api/v1/knowledge/``: articles with their review workflow, versions, search and categories;
questions routed to experts.

Scope: an article outside the reader's view (someone else's draft) answers 404; a write the
user's role does not allow answers 403; a move the status does not allow answers 409.
"""

from ninja import Router

from kehu.knowledge.api.articles import router as articles_router
from kehu.knowledge.api.questions import router as questions_router

router = Router()
router.add_router("", articles_router)
router.add_router("", questions_router)

__all__ = ["router"]
