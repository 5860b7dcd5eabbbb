"""API schemas every app shares: one OpenAPI component per shape (ninja names components by
class name, so two classes of one name would overwrite each other in the document)."""

from ninja import Schema


class CustomerRef(Schema):
    id: int
    name: str


class ContactRef(Schema):
    id: int
    name: str
