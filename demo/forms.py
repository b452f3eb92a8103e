"""The form behind "post a demo event"."""

from django import forms
from django.contrib.auth.models import User

from demo.feed import mark_own_event_seen, user_entity
from demo.seeding import GROUP_BY
from entity_event.models import Event, Source

#: Events of this source come from real sign-ins (see ``demo.signins``), never from the form.
SIGN_IN_SOURCE = "login"
#: Comments and likes are about a photo, which the form does not choose: seeding makes them.
REACTION_SOURCES = tuple(GROUP_BY)
#: Only staff may post events of this source.
STAFF_ONLY_SOURCE = "announcement"


class ColleaguesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user: User) -> str:
        return user.get_full_name() or user.username


class PostEventForm(forms.Form):
    """An event of any source, written by the signed-in user, who is its first actor.

    Colleagues tagged in it are actors too, so only-following subscriptions (photo tags in the
    demo) reach them and their teams. Sign-ins come from real sign-ins only, and only staff
    may post announcements. The author has seen what they posted.
    """

    source = forms.ModelChoiceField(
        Source.objects.exclude(name__in=[SIGN_IN_SOURCE, *REACTION_SOURCES]).order_by("display_name"),
        empty_label=None,
    )
    text = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    tagged = ColleaguesField(
        User.objects.filter(is_active=True).order_by("first_name", "username"),
        required=False,
        label="Tag colleagues",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, author: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.author = author
        self.fields["tagged"].queryset = self.fields["tagged"].queryset.exclude(pk=author.pk)
        if not author.is_staff:
            self.fields["source"].queryset = self.fields["source"].queryset.exclude(name=STAFF_ONLY_SOURCE)

    def save(self) -> Event:
        author = self.author
        tagged = list(self.cleaned_data["tagged"])
        actors = [entity for entity in map(user_entity, [author, *tagged]) if entity is not None]
        event = Event.objects.create_event(
            source=self.cleaned_data["source"],
            actors=actors,
            context={
                "user": author.pk,
                "author": author.get_full_name() or author.username,
                "text": self.cleaned_data["text"],
                "tagged": [user.get_full_name() or user.username for user in tagged],
            },
        )
        mark_own_event_seen(author, event)
        return event
