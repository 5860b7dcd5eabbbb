from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from kehu.accounts import selectors, services
from kehu.accounts.models import ApiToken, Role, User
from kehu.accounts.reauth import password_confirms
from kehu.core.access import (
    SensitiveGroup,
    can_export,
    can_reveal,
    is_read_only,
    require_account_admin,
)
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest

router = Router(tags=["accounts"])


class TeamOut(Schema):
    id: int
    name: str
    is_manager: bool


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: Role
    role_label: str
    language: str
    teams: list[TeamOut]
    read_only: bool
    can_export: bool
    can_reveal: list[SensitiveGroup]


def _teams(user: User) -> list[TeamOut]:
    return [
        TeamOut(id=m.team.pk, name=m.team.name, is_manager=m.is_manager)
        for m in user.memberships.all()
    ]


@router.get("/me", response={200: MeOut, **ERROR_RESPONSES}, summary="Who am I, what may I do")
def me(request: AuthenticatedRequest) -> MeOut:
    user = request.user
    return MeOut(
        id=user.pk,
        username=user.username,
        display_name=str(user),
        role=Role(user.role),
        role_label=user.role_label,
        language=user.language,
        teams=_teams(user),
        read_only=is_read_only(user),
        can_export=can_export(user),
        can_reveal=[g for g in SensitiveGroup if can_reveal(user, g)],
    )


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = Field(max_length=100)
    expires_at: datetime | None = Field(
        None, description="Empty: a person's token expires in 90 days."
    )
    password: str = Field(
        "",
        max_length=4096,
        description="Your password; required when signed in with the browser session.",
    )


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself. Shown only this once; store it safely.")


@router.get("/tokens/", response=list[TokenOut], summary="My API tokens")
@paginate
def token_list(request: AuthenticatedRequest) -> object:
    return selectors.api_tokens_of(user=request.user)


@router.post(
    "/tokens/",
    response={201: TokenCreated, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Create an API token",
)
def token_create(request: AuthenticatedRequest, payload: TokenIn) -> Status[TokenCreated]:
    from_session = not getattr(request, "kehu_token_auth", False)
    if from_session and not password_confirms(
        request, user=request.user, password=payload.password
    ):
        raise ValidationError({"password": [_("Enter your password to create a token.")]})
    row, token = services.api_token_create(
        user=request.user, name=payload.name, expires_at=payload.expires_at
    )
    return Status(201, TokenCreated(**TokenOut.from_orm(row).model_dump(), token=token))


@router.delete(
    "/tokens/{token_id}",
    response={204: None, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Revoke an API token",
)
def token_revoke(request: AuthenticatedRequest, token_id: int) -> Status[None]:
    token: ApiToken | None = selectors.api_token_get_for_user(user=request.user, token_id=token_id)
    if token is None:
        raise Http404
    services.api_token_revoke(token=token, revoked_by=request.user)
    return Status(204, None)


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    role: Role
    is_active: bool
    teams: list[TeamOut]

    @staticmethod
    def resolve_teams(obj: User) -> list[TeamOut]:
        return _teams(obj)


class UserIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    role: Role
    password: str | None = Field(default=None, max_length=128)
    display_name: str = Field(default="", max_length=100)
    email: str = Field(default="", max_length=254)
    team: str | None = Field(default=None, max_length=100)
    is_team_manager: bool = False


@router.get("/users/", response={200: list[UserOut], **ERROR_RESPONSES}, summary="Users (admins)")
@paginate
def user_list(request: AuthenticatedRequest) -> object:
    require_account_admin(request.user)
    return selectors.users_list()


@router.post(
    "/users/",
    response={201: UserOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Create a user (admins)",
)
def user_create(request: AuthenticatedRequest, payload: UserIn) -> Status[User]:
    require_account_admin(request.user)
    user = services.user_create(
        username=payload.username,
        role=payload.role,
        password=payload.password,
        display_name=payload.display_name,
        email=payload.email,
        team_name=payload.team,
        is_team_manager=payload.is_team_manager,
        created_by=request.user,
    )
    return Status(201, selectors.users_list().get(pk=user.pk))
