"""API schemas every app shares: one OpenAPI component per shape (ninja names components by
class name, so two classes of one name would overwrite each other in the document)."""

from typing import Annotated

from ninja import Schema
from pydantic import Field

# A record's id as input: a number a database key column can hold, so an impossible id is
# refused (422) the same way on SQLite (which overflows) and PostgreSQL (which finds nothing).
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class CustomerRef(Schema):
    id: int
    name: str


class ContactRef(Schema):
    id: int
    name: str
