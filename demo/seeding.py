"""The demo company: people in teams, sources, mediums, subscriptions, renderers and events.

Every step looks rows up by name before creating them and events carry fixed uuids, so seeding
twice leaves the data as it was. Users and groups become entities through django-entity's
syncing, which needs PostgreSQL.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from entity.models import Entity, EntityKind

from demo.entities import COMPANY_GROUP
from entity_event.management.progress import ProgressBar
from entity_event.models import (
    ContextRenderer,
    Event,
    Medium,
    RenderingStyle,
    Source,
    SourceGroup,
    Subscription,
    Unsubscription,
)

EMPLOYEE_PASSWORD = "demo"
ADMIN_USERNAME = ADMIN_PASSWORD = "admin"

#: username, first name, last name, team.
EMPLOYEES = [
    ("alice", "Alice", "Martin", "Engineering"),
    ("bob", "Bob", "Keller", "Sales"),
    ("carol", "Carol", "Nguyen", "Design"),
    ("dave", "Dave", "Okafor", "Engineering"),
    ("erin", "Erin", "Larsen", "Sales"),
    ("frank", "Frank", "Dubois", "Design"),
    ("grace", "Grace", "Hopper", "Engineering"),
    ("heidi", "Heidi", "Schmidt", "Sales"),
    ("ivan", "Ivan", "Petrov", "Engineering"),
    ("judy", "Judy", "Alvarez", "Design"),
]

#: name, display name, group name, group display name.
SOURCES = [
    ("photo-tag", "Photo tags", "social", "Social"),
    ("photo-comment", "Photo comments", "social", "Social"),
    ("photo-like", "Photo likes", "social", "Social"),
    ("new-product", "New products", "catalogue", "Catalogue"),
    ("login", "Sign-ins", "security", "Security"),
    ("announcement", "Announcements", "company", "Company"),
]

#: source -> the context key its events are grouped by (docs/groups.rst): comments and likes on
#: the same photo show as one entry, "Dave Okafor and 2 others commented on ...".
GROUP_BY = {"photo-comment": "photo", "photo-like": "photo"}

#: name, display name, rendering style.
MEDIUMS = [
    ("newsfeed", "Newsfeed", "short"),
    ("email", "Email", "email"),
    ("notification-bar", "Notification bar", "short"),
]

SIGN_IN_TEXT = (
    "{{ user.get_full_name|default:user.username }} signed in{% if device %} from {{ device }}{% endif %}."
    "{% if text %} {{ text }}{% endif %}"
)
SIGN_IN_HTML = (
    "<strong>{{ user.get_full_name|default:user.username }}</strong> signed in"
    "{% if device %} from {{ device }}{% endif %}.{% if text %} {{ text }}{% endif %}"
)

#: renderer name -> (source, style, template fields). Files live in demo/templates/demo/events/.
RENDERERS = {
    "photo tag, short": (
        "photo-tag",
        "short",
        {
            "text_template_path": "demo/events/photo_tag.txt",
            "html_template_path": "demo/events/photo_tag.html",
        },
    ),
    "photo comment, short": (
        "photo-comment",
        "short",
        {
            "text_template_path": "demo/events/photo_comment.txt",
            "html_template_path": "demo/events/photo_comment.html",
            "group_text_template_path": "demo/events/photo_comment_group.txt",
            "group_html_template_path": "demo/events/photo_comment_group.html",
        },
    ),
    "photo like, short": (
        "photo-like",
        "short",
        {
            "text_template_path": "demo/events/photo_like.txt",
            "html_template_path": "demo/events/photo_like.html",
            "group_text_template_path": "demo/events/photo_like_group.txt",
            "group_html_template_path": "demo/events/photo_like_group.html",
        },
    ),
    "new product, short": (
        "new-product",
        "short",
        {
            "text_template_path": "demo/events/new_product.txt",
            "html_template_path": "demo/events/new_product.html",
        },
    ),
    "new product, email": (
        "new-product",
        "email",
        {
            "text_template_path": "demo/events/new_product_email.txt",
            "html_template_path": "demo/events/new_product_email.html",
        },
    ),
    "sign-in, short": (
        "login",
        "short",
        {
            "text_template": SIGN_IN_TEXT,
            "html_template": SIGN_IN_HTML,
            # The context holds the user's primary key; rendering fetches the users in one query.
            "context_hints": {"user": {"app_name": "auth", "model_name": "user"}},
        },
    ),
    "announcement, short": (
        "announcement",
        "short",
        {
            "text_template": "Announcement: {{ text }}",
            "html_template": "<strong>Announcement:</strong> {{ text }}",
        },
    ),
    "announcement, email": (
        "announcement",
        "email",
        {
            "text_template": '{% load i18n %}{% translate "Hello," %}\n\n{{ text }}\n\n'
            '{% translate "The demo company" %}',
            "html_template": '{% load i18n %}<p>{% translate "Hello," %}</p><p>{{ text }}</p>'
            '<p>{% translate "The demo company" %}</p>',
        },
    ),
}

#: medium, source, subscriber (a group or a username), sub entity kind ("user" or None), only following.
#: Sign-ins go to the admin alone, as a log of everyone's: a card saying that you just signed in
#: would tell you nothing, and would be one more card at each sign-in.
SUBSCRIPTIONS = [
    ("newsfeed", "photo-tag", COMPANY_GROUP, "user", True),
    ("newsfeed", "new-product", COMPANY_GROUP, "user", False),
    ("newsfeed", "photo-comment", COMPANY_GROUP, "user", False),
    ("newsfeed", "photo-like", COMPANY_GROUP, "user", False),
    ("notification-bar", "photo-comment", COMPANY_GROUP, "user", False),
    ("newsfeed", "announcement", COMPANY_GROUP, "user", False),
    ("newsfeed", "login", ADMIN_USERNAME, None, False),
    ("email", "announcement", COMPANY_GROUP, "user", False),
    ("email", "new-product", "Sales", "user", False),
    ("notification-bar", "announcement", COMPANY_GROUP, "user", False),
]

#: Subscriptions of earlier demos that seeding deletes (same columns, without only following):
#: everyone's own sign-ins on the newsfeed.
RETIRED_SUBSCRIPTIONS = [("newsfeed", "login", COMPANY_GROUP, "user")]

#: medium, source, username: bob reads about new products on the newsfeed, not by email.
UNSUBSCRIPTIONS = [("email", "new-product", "bob")]

EVENT_COUNT = 300
EVENT_BATCH = 50
#: Events older than this are seeded as already seen: mailed, and read by everyone.
SEEN_AFTER = timedelta(days=2)

PRODUCTS = ["Trail backpack", "Espresso grinder", "Standing desk", "Noise-cancelling headset", "Desk lamp"]
CAPTIONS = ["Team lunch", "Hackathon night", "Summer party", "Whiteboard session", "Office dog", "Ski trip"]
DEVICES = ["a laptop", "a phone", "a tablet"]
#: Reactions to photos, seeded after the random events: (source, author, photo's author, caption,
#: minutes ago, comment). Three colleagues comment on Carol's "Team lunch" and two like it, so
#: the feed shows each as one group; Grace's lone comment on Frank's photo is a group of one.
REACTIONS = [
    ("photo-comment", "alice", "carol", "Team lunch", 50, "What a table!"),
    ("photo-like", "erin", "carol", "Team lunch", 45, ""),
    ("photo-comment", "bob", "carol", "Team lunch", 40, "Next time I am in."),
    ("photo-like", "frank", "carol", "Team lunch", 35, ""),
    ("photo-comment", "dave", "carol", "Team lunch", 30, "Great photo."),
    ("photo-comment", "grace", "frank", "Ski trip", 90, "Fresh snow!"),
]
ANNOUNCEMENTS = ["The office is closed on Friday.", "New coffee machine on floor 2.", "All-hands at 4 pm."]


@dataclass
class Seeded:
    """What a run found or made."""

    users: int
    events_created: int
    events_total: int


def seed(out, rng_seed: int = 2024) -> Seeded:
    """Create whatever of the demo company is missing, drawing progress bars on ``out``."""
    with transaction.atomic():
        people(out)
        mediums, sources = catalogue()
        subscribe_company(mediums, sources)
        created = _events(out, sources, mediums, random.Random(rng_seed))
    return Seeded(users=User.objects.count(), events_created=created, events_total=Event.objects.count())


def entity_for(model_obj) -> Entity:
    return Entity.all_objects.get_for_obj(model_obj)


def people(out) -> dict[str, User]:
    teams = {team for *_names, team in EMPLOYEES}
    bar = ProgressBar(out, "people", 1 + len(teams) + 1 + len(EMPLOYEES))
    groups = {COMPANY_GROUP: Group.objects.get_or_create(name=COMPANY_GROUP)[0]}
    bar.advance()
    for team in sorted(teams):
        groups[team] = Group.objects.get_or_create(name=team)[0]
        bar.advance()
    admin, created = User.objects.get_or_create(
        username=ADMIN_USERNAME,
        defaults={"first_name": "Ada", "last_name": "Admin", "email": "admin@example.com"},
    )
    if created:
        admin.is_staff = admin.is_superuser = True
        admin.set_password(ADMIN_PASSWORD)
        admin.save()
    bar.advance()
    people = {ADMIN_USERNAME: admin}
    for username, first, last, team in EMPLOYEES:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(EMPLOYEE_PASSWORD)
            user.save()
            user.groups.add(groups[team])
        people[username] = user
        bar.advance()
    bar.finish()
    return people


def catalogue() -> tuple[dict[str, Medium], dict[str, Source]]:
    styles = {
        name: RenderingStyle.objects.get_or_create(name=name, defaults={"display_name": name.title()})[0]
        for name in ("short", "email")
    }
    sources = {}
    for name, display_name, group_name, group_display in SOURCES:
        group = SourceGroup.objects.get_or_create(
            name=group_name,
            defaults={"display_name": group_display, "description": f"{group_display} events."},
        )[0]
        sources[name] = Source.objects.get_or_create(
            name=name,
            defaults={
                "display_name": display_name,
                "description": f"{display_name}.",
                "group": group,
                "group_by": GROUP_BY.get(name, ""),
            },
        )[0]
    mediums = {
        name: Medium.objects.get_or_create(
            name=name,
            defaults={
                "display_name": display_name,
                "description": f"The {display_name.lower()}.",
                "rendering_style": styles[style],
            },
        )[0]
        for name, display_name, style in MEDIUMS
    }
    for renderer_name, (source, style, templates) in RENDERERS.items():
        # Templates follow the code, so a newer demo's renderers replace an older one's.
        ContextRenderer.objects.update_or_create(
            name=renderer_name,
            defaults={"source": sources[source], "rendering_style": styles[style], **templates},
        )
    return mediums, sources


def _subscriber(name: str) -> Entity:
    group = Group.objects.filter(name=name).first()
    return entity_for(group if group is not None else User.objects.get(username=name))


def subscribe_company(mediums: dict[str, Medium], sources: dict[str, Source]) -> None:
    user_kind = EntityKind.all_objects.get(name="auth.user")
    for medium, source, subscriber, sub_kind, only_following in SUBSCRIPTIONS:
        Subscription.objects.get_or_create(
            medium=mediums[medium],
            source=sources[source],
            entity=_subscriber(subscriber),
            sub_entity_kind=user_kind if sub_kind else None,
            defaults={"only_following": only_following},
        )
    for medium, source, subscriber, sub_kind in RETIRED_SUBSCRIPTIONS:
        Subscription.objects.filter(
            medium=mediums[medium],
            source=sources[source],
            entity=_subscriber(subscriber),
            sub_entity_kind=user_kind if sub_kind else None,
        ).delete()
    for medium, source, username in UNSUBSCRIPTIONS:
        Unsubscription.objects.get_or_create(
            medium=mediums[medium], source=sources[source], entity=_subscriber(username)
        )


def _events(out, sources: dict[str, Source], mediums: dict[str, Medium], rng: random.Random) -> int:
    """Store the demo's events (skipping those a previous run stored); older ones are marked seen."""
    employees = list(
        User.objects.filter(username__in=[name for name, *_rest in EMPLOYEES]).order_by("username")
    )
    entities = {user.pk: entity_for(user) for user in employees}
    now = timezone.now()
    wanted = [_event(number, rng, now, sources, employees, entities) for number in range(EVENT_COUNT)]
    wanted += _reactions(now, sources, {user.username: user for user in employees}, entities)
    bar = ProgressBar(out, "events", len(wanted))
    created = []
    for start in range(0, len(wanted), EVENT_BATCH):
        created += Event.objects.create_events(wanted[start : start + EVENT_BATCH])
        bar.advance(len(wanted[start : start + EVENT_BATCH]))
    bar.finish()
    old = Event.objects.filter(pk__in=[event.pk for event in created if event.time < now - SEEN_AFTER])
    # Email is sent once for everyone: its seen marks belong to the medium. The feeds keep a
    # read state per person, in each user's inbox.
    old.mark_seen(mediums["email"])
    readers = [entity_for(user) for user in User.objects.order_by("pk")]
    for medium in (mediums["newsfeed"], mediums["notification-bar"]):
        for reader in readers:
            medium.inbox(reader).mark_seen(old)
    return len(created)


def _event(number: int, rng: random.Random, now, sources, employees: list[User], entities) -> dict:
    """The keyword arguments of demo event ``number``; the same ones on every run."""
    author = rng.choice(employees)
    time = now - timedelta(minutes=rng.randint(1, 30 * 24 * 60))
    name = rng.choices(["login", "photo-tag", "new-product", "announcement"], weights=[45, 35, 15, 5])[0]
    fields = {"uuid": f"demo-{number:04d}", "source": sources[name], "time": time, "ignore_duplicates": True}
    author_name = author.get_full_name()
    if name == "login":
        context = {"user": author.pk, "device": rng.choice(DEVICES)}
        actors = [author]
    elif name == "photo-tag":
        tagged = rng.sample([user for user in employees if user != author], k=rng.randint(1, 3))
        context = {
            "author": author_name,
            "text": rng.choice(CAPTIONS),
            "tagged": [u.get_full_name() for u in tagged],
        }
        actors = [author, *tagged]
    elif name == "new-product":
        context = {"author": author_name, "text": rng.choice(PRODUCTS), "price": f"{rng.randint(20, 900)}.00"}
        actors = [author]
    else:
        context = {"text": rng.choice(ANNOUNCEMENTS)}
        actors = []
    return {**fields, "context": context, "actors": [entities[user.pk] for user in actors]}


def _reactions(now, sources, employees: dict[str, User], entities) -> list[dict]:
    """The keyword arguments of the :data:`REACTIONS`, grouped by the photo they are about."""
    wanted = []
    for number, (source, author, owner, caption, minutes_ago, text) in enumerate(REACTIONS):
        context = {
            "photo": caption.lower().replace(" ", "-"),
            "caption": caption,
            "owner": employees[owner].get_full_name(),
            "author": employees[author].get_full_name(),
            "text": text,
        }
        wanted.append(
            {
                "uuid": f"demo-reaction-{number:02d}",
                "source": sources[source],
                "time": now - timedelta(minutes=minutes_ago),
                "ignore_duplicates": True,
                "context": context,
                "actors": [entities[employees[author].pk]],
            }
        )
    return wanted
