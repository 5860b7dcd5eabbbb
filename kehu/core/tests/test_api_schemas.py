"""One OpenAPI component per shape: ninja names a component by its class name, so two schema
classes of one name in different apps silently overwrite each other in the document (a response
then validates against the other shape)."""

from collections import defaultdict

from ninja import Schema

import kehu.config.api  # noqa: F401  (imports every app's API module)


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_schema_class_names_are_unique():
    by_name = defaultdict(list)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("kehu.") and ".tests." not in cls.__module__:
            by_name[cls.__name__].append(f"{cls.__module__}.{cls.__qualname__}")
    assert len(by_name) > 50  # the walk found the apps' schemas
    clashes = {name: where for name, where in by_name.items() if len(where) > 1}
    assert not clashes, clashes


def test_the_openapi_document_names_each_schema_once(client, admin_user):
    client.force_login(admin_user)
    components = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("CustomerRef", "CustomerStatusRef", "MiningRunOut", "RefreshRunOut", "RunOut"):
        assert name in components, name
