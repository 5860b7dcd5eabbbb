"""Pages of the knowledge base (signed in) and the public FAQ (no sign-in)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.accounts.models import User
from kehu.core.access import (
    can_ask_questions,
    can_manage_knowledge,
    can_read_knowledge,
    can_write_articles,
    require,
)
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.core.pagination import CappedPaginator
from kehu.customers.forms import apply_service_errors
from kehu.customers.selectors import customer_get_for_user
from kehu.intake.ratelimit import rate_limit_hit
from kehu.knowledge import questions, selectors, services
from kehu.knowledge.forms import (
    ArticleFilterForm,
    ArticleForm,
    ExpertForm,
    FaqSearchForm,
    QuestionForm,
)
from kehu.knowledge.models import WAITING, Article, QuestionStatus
from kehu.knowledge.rendering import render_markdown
from kehu.sales.models import Product
from kehu.sales.selectors import opportunity_get_for_user

PAGE_SIZE = 25
FAQ_LIMIT = 120  # public requests per client and window
FAQ_WINDOW = 60


@require_GET
def article_list(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_read_knowledge)
    form = ArticleFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    filters = selectors.ArticleFilters(
        q=values.get("q", "").strip(),
        category_id=values["category"].pk if values.get("category") else None,
        product_id=values["product"].pk if values.get("product") else None,
        status=values.get("status", ""),
    )
    context: dict[str, Any] = {
        "form": form,
        "can_write": can_write_articles(request.user) or can_manage_knowledge(request.user),
        "can_manage": can_manage_knowledge(request.user),
    }
    if filters.q:
        context["hits"] = selectors.article_search(
            articles=selectors.articles_visible_to(request.user), filters=filters
        )
    else:
        articles = selectors.article_list(user=request.user, filters=filters)
        context["page"] = CappedPaginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    htmx = request.headers.get("HX-Request") == "true"
    template = "knowledge/partials/results.html" if htmx else "knowledge/article_list.html"
    return render(request, template, context)


@require_GET
def stale_list(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_read_knowledge)
    articles = selectors.stale_articles(user=request.user)
    page = CappedPaginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "knowledge/stale_list.html", {"page": page})


def _detail_context(request: AuthenticatedRequest, article: Article) -> dict[str, Any]:
    user = request.user
    return {
        "article": article,
        "body_html": render_markdown(article.body),
        "can_edit": services.can_edit(user, article),
        "can_submit": article.status == "draft"
        and (article.owner_id == user.pk or can_manage_knowledge(user)),
        "can_review": services.can_review(user, article),
        "can_manage": can_manage_knowledge(user),
        "products": article.products.order_by("name"),
        "attachments": article.attachments.all(),
        "reviewers": article.reviewers.order_by("username"),
    }


@require_GET
def article_detail(request: AuthenticatedRequest, article_id: int) -> HttpResponse:
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    services.article_viewed(article=article)
    return render(request, "knowledge/article_detail.html", _detail_context(request, article))


@require_POST
def article_attach(request: AuthenticatedRequest, article_id: int) -> HttpResponse:
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    try:
        services.article_attach(
            user=request.user, article=article, uploads=request.FILES.getlist("files")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Attached."))
    return redirect(article)


@require_POST
def article_attachment_remove(request: AuthenticatedRequest, attachment_id: int) -> HttpResponse:
    attachment = selectors.article_attachment_get_for_user(
        user=request.user, attachment_id=attachment_id
    )
    services.article_attachment_remove(user=request.user, attachment=attachment)
    messages.success(request, _("Attachment removed."))
    return redirect(attachment.article)


@require_GET
def article_attachment_download(request: AuthenticatedRequest, attachment_id: int) -> FileResponse:
    """A file of an article the user may read; never served as a static file."""
    attachment = selectors.article_attachment_get_for_user(
        user=request.user, attachment_id=attachment_id
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def article_create(request: AuthenticatedRequest) -> HttpResponse:
    if not (can_write_articles(request.user) or can_manage_knowledge(request.user)):
        raise PermissionDenied
    form = ArticleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = form.values()
            try:
                article = services.article_create(user=request.user, **values)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Draft saved."))
                return redirect(article)
        status = 400
    return render(request, "knowledge/article_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def article_edit(request: AuthenticatedRequest, article_id: int) -> HttpResponse:
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    if not services.can_edit(request.user, article):
        raise PermissionDenied
    form = ArticleForm.for_article(article, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = form.values()
            try:
                services.article_update(
                    user=request.user,
                    article=article,
                    note=form.cleaned_data["note"],
                    **values,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Article saved."))
                return redirect(article)
        status = 400
    context = {"form": form, "article": article}
    return render(request, "knowledge/article_form.html", context, status=status)


@require_GET
def article_history(request: AuthenticatedRequest, article_id: int) -> HttpResponse:
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    versions = article.versions.select_related("changed_by")
    return render(
        request, "knowledge/article_history.html", {"article": article, "versions": versions}
    )


ACTIONS = {
    "submit": (services.article_submit, _("Sent for review.")),
    "publish": (services.article_publish, _("Published.")),
    "archive": (services.article_archive, _("Archived.")),
    "confirm": (services.article_confirm_current, _("Confirmed as current.")),
}


@require_POST
def article_action(request: AuthenticatedRequest, article_id: int, action: str) -> HttpResponse:
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    if action == "return":
        note = request.POST.get("note", "")[:200]
        try:
            services.article_return(user=request.user, article=article, note=note)
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Returned to the owner as a draft."))
        return redirect(article)
    if action == "rate":
        services.article_rate(article=article, helpful=request.POST.get("helpful") == "yes")
        messages.success(request, _("Thank you for your feedback."))
        return redirect(article)
    if action not in ACTIONS:
        raise Http404
    service, done = ACTIONS[action]
    try:
        service(user=request.user, article=article)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(done))
    return redirect(article)


# --- public FAQ -------------------------------------------------------------------------------


def _limited(request: HttpRequest) -> HttpResponse | None:
    if rate_limit_hit(scope="faq", key=client_ip(request), limit=FAQ_LIMIT, window=FAQ_WINDOW):
        return None
    return render(
        request,
        "knowledge/faq_base.html",
        {"problem": _("Too many requests from your network. Please try again later.")},
        status=429,
    )


@login_not_required
@require_GET
def faq_index(request: HttpRequest) -> HttpResponse:
    """``/faq/``: products with public answers, and a search over all public articles."""
    if limited := _limited(request):
        return limited
    form = FaqSearchForm(request.GET or None)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    hits = (
        selectors.article_search(
            articles=selectors.public_articles(), filters=selectors.ArticleFilters(q=q)
        )
        if q
        else []
    )
    context = {"form": form, "q": q, "hits": hits, "products": selectors.faq_products()}
    return render(request, "knowledge/faq_index.html", context)


@login_not_required
@require_GET
def faq_product(request: HttpRequest, code: str) -> HttpResponse:
    if limited := _limited(request):
        return limited
    product = get_object_or_404(Product, code=code)
    articles = selectors.public_articles().filter(products=product).order_by("title")
    if not articles.exists():
        raise Http404
    return render(request, "knowledge/faq_product.html", {"product": product, "articles": articles})


@login_not_required
@require_GET
def faq_article(request: HttpRequest, article_id: int) -> HttpResponse:
    if limited := _limited(request):
        return limited
    article = selectors.public_article_get(article_id=article_id)
    services.article_viewed(article=article)
    context = {
        "article": article,
        "body_html": render_markdown(article.body),
        "products": article.products.order_by("name"),
        "thanks": request.GET.get("thanks") == "1",
    }
    return render(request, "knowledge/faq_article.html", context)


@login_not_required
@require_POST
def faq_rate(request: HttpRequest, article_id: int) -> HttpResponse:
    if limited := _limited(request):
        return limited
    article = selectors.public_article_get(article_id=article_id)
    services.article_rate(article=article, helpful=request.POST.get("helpful") == "yes")
    return redirect(f"{request.path.rsplit('helpful/', 1)[0]}?thanks=1")


# --- questions to experts ---------------------------------------------------------------------


@require_GET
def question_list(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_read_knowledge)
    mine = request.GET.get("mine", "")
    status = request.GET.get("status", "")
    if status not in QuestionStatus.values:
        status = ""
    rows = selectors.question_list(user=request.user, status=status, mine=mine)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "mine": mine,
        "status": status,
        "statuses": QuestionStatus.choices,
        "can_ask": can_ask_questions(request.user),
    }
    return render(request, "knowledge/question_list.html", context)


@require_GET
def question_suggest(request: AuthenticatedRequest) -> HttpResponse:
    """htmx: articles that may answer the question being typed."""
    require(request.user, can_read_knowledge)
    text = request.GET.get("text", "")[:500]
    hits = selectors.question_suggestions(user=request.user, text=text) if text.strip() else []
    return render(request, "knowledge/partials/suggestions.html", {"hits": hits})


@require_http_methods(["GET", "POST"])
def question_create(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_ask_questions)
    customer = None
    customer_id = request.GET.get("customer") or request.POST.get("customer")
    if customer_id and str(customer_id).isdigit():
        customer = customer_get_for_user(user=request.user, customer_id=int(customer_id))
    # From a case, the screen-pop or the 360° page: the channel, product and text filled in.
    initial = {
        key: request.GET[key] for key in ("channel", "product", "text") if key in request.GET
    }
    form = QuestionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            suggestions = selectors.question_suggestions(user=request.user, text=data["text"])
            try:
                question = questions.question_ask(
                    user=request.user,
                    text=data["text"],
                    customer=customer,
                    category=data["category"],
                    product=data["product"],
                    urgency=data["urgency"],
                    channel=data["channel"],
                    suggestions=len(suggestions),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(question)
        status = 400
    context = {"form": form, "customer": customer}
    return render(request, "knowledge/question_form.html", context, status=status)


@require_GET
def question_detail(request: AuthenticatedRequest, question_id: int) -> HttpResponse:
    question = selectors.question_get_for_user(user=request.user, question_id=question_id)
    user = request.user
    works = question.expert_id == user.pk or can_manage_knowledge(user)
    waiting = question.status in WAITING
    suggestions = (
        selectors.question_suggestions(user=user, text=question.text)
        if waiting and question.asker_id == user.pk
        else []
    )
    context = {
        "question": question,
        "messages_": question.messages.select_related("author"),
        "suggestions": suggestions,
        "is_asker": question.asker_id == user.pk,
        "works": works and question.status == QuestionStatus.WITH_EXPERT,
        "can_answer": works and waiting,
        "can_make_article": bool(
            question.answer
            and not question.answered_from_id
            and not question.article_id
            and (works or question.answered_by_id == user.pk)
        ),
        "experts": selectors.experts().exclude(user=question.expert_id),
    }
    return render(request, "knowledge/question_detail.html", context)


@require_POST
def question_action(request: AuthenticatedRequest, question_id: int, action: str) -> HttpResponse:
    question = selectors.question_get_for_user(user=request.user, question_id=question_id)
    user = request.user
    text = request.POST.get("text", "")
    try:
        if action == "answer":
            questions.question_answer(user=user, question=question, text=text)
        elif action == "ask-back":
            questions.question_ask_back(user=user, question=question, text=text)
        elif action == "reply":
            questions.question_reply(user=user, question=question, text=text)
        elif action == "hand-over":
            to = get_object_or_404(User, pk=request.POST.get("to") or 0, is_active=True)
            questions.question_hand_over(user=user, question=question, to=to, note=text)
        elif action == "route":
            questions.question_route(user=user, question=question)
        elif action == "close":
            questions.question_close(user=user, question=question)
        elif action == "answered":
            article = selectors.article_get_for_user(
                user=user, article_id=int(request.POST.get("article") or 0)
            )
            questions.question_answered_from_knowledge(
                user=user, question=question, article=article
            )
        elif action == "article":
            article = questions.question_to_article(user=user, question=question)
            messages.success(request, _("Draft article made from the answer; edit and publish it."))
            return redirect("knowledge:edit", article.pk)
        else:
            raise Http404
    except (Conflict, ValidationError) as exc:
        messages.error(request, exc.message if isinstance(exc, Conflict) else exc.messages[0])
    return redirect(question)


@require_GET
def expert_list(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_read_knowledge)
    context = {"experts": selectors.experts(), "can_edit": can_manage_knowledge(request.user)}
    return render(request, "knowledge/expert_list.html", context)


@require_http_methods(["GET", "POST"])
def expert_edit(request: AuthenticatedRequest, user_id: int | None = None) -> HttpResponse:
    """Put a user in the expert directory, or change their topics and availability."""
    require(request.user, can_manage_knowledge)
    expert_user = None
    initial: dict[str, Any] = {"available": True}
    if user_id is not None:
        expert_user = get_object_or_404(User, pk=user_id, is_active=True)
        expert = selectors.experts().filter(user=expert_user).first()
        if expert is not None:
            initial = {
                "categories": list(expert.categories.all()),
                "products": list(expert.products.all()),
                "available": expert.available,
            }
    form = ExpertForm(request.POST or None, initial=initial, fixed_user=expert_user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        questions.expert_set(
            user=request.user,
            expert_user=expert_user or data["user"],
            categories=list(data["categories"]),
            products=list(data["products"]),
            available=data["available"],
        )
        messages.success(request, _("The expert directory is saved."))
        return redirect("knowledge:experts")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "expert_user": expert_user}
    return render(request, "knowledge/expert_form.html", context, status=status)


@require_POST
def win_loss_note(request: AuthenticatedRequest, opportunity_id: int) -> HttpResponse:
    """Start (or reopen) the user's win/loss note on a closed opportunity they may see."""
    opportunity = opportunity_get_for_user(user=request.user, opportunity_id=opportunity_id)
    try:
        article = services.win_loss_note_draft(user=request.user, opportunity=opportunity)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(opportunity)
    return redirect("knowledge:edit", article.pk)


@require_GET
def report(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_manage_knowledge)
    return render(request, "knowledge/report.html", {"report": selectors.knowledge_report()})
