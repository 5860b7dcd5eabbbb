"""The task form; lenient, the service validates."""

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.core.widgets import IsoDateTimeInput
from kehu.tasks.models import Task
from kehu.tasks.selectors import assignable_users


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Task.Kind.choices, initial=Task.Kind.TODO)
    due_at = forms.DateTimeField(
        label=_("Due"),
        widget=IsoDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, initial=Task.Priority.NORMAL
    )
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none())
    remind_minutes_before = forms.IntegerField(
        label=_("Remind before (minutes)"), min_value=0, max_value=7 * 24 * 60, initial=30
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, user: User, current_assignee: User | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (declared above)
        # A task given by someone else keeps its assignee on the list, even for a former manager.
        keep = Q(pk=current_assignee.pk) if current_assignee else Q(pk__in=[])
        field.queryset = User.objects.filter(
            Q(pk__in=assignable_users(user).values("pk")) | keep
        ).order_by("username")
        field.initial = user.pk
        if field.queryset.count() <= 1:
            field.widget = forms.HiddenInput()
