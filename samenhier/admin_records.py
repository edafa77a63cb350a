"""The Beheer specs (:class:`samenhier.admin.RecordAdmin`) of the five record types: welcome groups,
members, newcomers, community builders and accounts. Reads via :mod:`samenhier.queries.records`, writes
via :mod:`samenhier.services.records` (and :mod:`samenhier.services.bulk` for the member table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from samenhier import actions, formatting, i18n, ui
from samenhier.actions import FormField, Shown
from samenhier.admin import Column, Context, ListFilter, RecordAdmin, field_of
from samenhier.models import GroupStatus, MemberRole, NewcomerStatus, UserRole, Variant
from samenhier.queries import records as q
from samenhier.rules import GROUP_TRANSITIONS
from samenhier.services import bulk
from samenhier.services import records as s


def _label(vocabulary: str):
    return lambda value: i18n.label(vocabulary, value)


def _code() -> list[FormField]:
    return [field_of("code", help=ui.t("manage.code_help"))]


def _builders(ctx: Context) -> dict[int, str]:
    return ui.cached(q.builder_options)(ctx.scope)


# ----------------------------------------------------------------------------------------------- groups


def _group_fields(ctx: Context, values: Mapping[str, Any] | None) -> list[FormField]:
    """A new group may start in any status; an existing one offers its own and the allowed next ones (rules.py)."""
    builders = _builders(ctx)
    if values is None:
        statuses = [x.value for x in GroupStatus]
    else:
        statuses = [
            values["status"],
            *[x.value for x in GroupStatus if x in GROUP_TRANSITIONS[GroupStatus(values["status"])]],
        ]
    return [
        field_of("name", required=True),
        field_of("municipality", "select", options=q.municipality_names(), required=True),
        field_of(
            "variant",
            "select",
            options=[x.value for x in Variant],
            format_func=_label("variant"),
            required=True,
        ),
        field_of("status", "select", options=statuses, format_func=_label("group_status"), required=True),
        field_of(
            "community_builder_id",
            "select",
            options=[None, *builders],
            format_func=lambda v: builders.get(v, str(v)),
        ),
        field_of("signup_date", "date", required=True),
        field_of("training_completed_date", "date"),
        field_of("notes", "textarea"),
    ]


GROUPS = RecordAdmin(
    name="groups",
    table="welcome_group",
    id_column="group_id",
    list_query=lambda ctx, archived: ui.cached(q.groups_table)(
        ctx.scope, ctx.filters, include_archived=archived
    ),
    columns=[
        Column("code", "col.code"),
        Column("name", "col.name"),
        Column("municipality", "col.municipality"),
        Column("variant", "field.variant", show=_label("variant")),
        Column("status", "col.status", show=_label("group_status")),
        Column("community_builder", "col.community_builder"),
        Column("members", "manage.col.members"),
        Column("signup_date", "field.signup_date", date=True),
        Column("archived", "field.archived"),
    ],
    search_fields=["code", "name", "municipality", "community_builder"],
    filters=[
        ListFilter(
            "status",
            "col.status",
            "status",
            lambda ctx: {x.value: i18n.label("group_status", x.value) for x in GroupStatus},
        )
    ],
    row_label=lambda r: f"{r.code} · {r.name}",
    record_query=q.group_record,
    title=lambda v: f"{v['code']} · {v['name']}",
    fields=_group_fields,
    new_fields=lambda ctx: _code(),
    new_values=lambda ctx, chosen: {
        "variant": "statushouders",
        "status": "werving",
        "signup_date": ui.as_of(),
    },
    create=s.create_group,
    update=s.update_group,
    archive=s.archive_group,
    restore=s.restore_group,
    delete=s.delete_group,
)

# ---------------------------------------------------------------------------------------------- members


def _member_fields(ctx: Context, values: Mapping[str, Any] | None) -> list[FormField]:
    groups = ui.cached(q.group_options)(ctx.scope, ctx.filters)
    return [
        field_of(
            "group_id",
            "select",
            options=list(groups),
            format_func=lambda v: groups.get(v, str(v)),
            required=True,
        ),
        field_of("first_name", required=True),
        field_of("last_name"),
        field_of("email"),
        field_of("phone"),
        field_of(
            "role",
            "select",
            options=[x.value for x in MemberRole],
            format_func=_label("member_role"),
            required=True,
        ),
        field_of("joined_date", "date", required=True),
        field_of("vog_date", "date"),
    ]


MEMBERS = RecordAdmin(
    name="members",
    table="member",
    id_column="member_id",
    list_query=lambda ctx, archived: ui.cached(q.members_table)(
        ctx.scope, ctx.filters, include_archived=archived
    ),
    columns=[
        Column("code", "col.code"),
        Column("group_code", "field.group_id"),
        Column("first_name", "field.first_name"),
        Column("last_name", "field.last_name"),
        Column("email", "col.email"),
        Column("phone", "col.phone"),
        Column("vog_date", "col.vog", date=True),
    ],
    list_editable=["email", "phone", "vog_date"],
    bulk_update=bulk.update_members,
    search_fields=["code", "first_name", "last_name", "email", "phone", "group_code", "group_name"],
    # thousands of groups: every one would be sent as an option; the search box finds group codes and names
    filters=[
        ListFilter(
            "groups",
            "field.group_id",
            "group_id",
            lambda ctx: ui.cached(q.group_options)(ctx.scope, ctx.filters),
            too_many="manage.members_group_search",
        )
    ],
    row_label=lambda r: f"{r.code} · {r.first_name} {r.last_name}",
    record_query=q.member_record,
    title=lambda v: f"{v['code']} · {v['first_name']} {v['last_name']}",
    fields=_member_fields,
    new_fields=lambda ctx: _code(),
    new_values=lambda ctx, chosen: {
        "role": "lid",
        "joined_date": ui.as_of(),
        "group_id": chosen["groups"][0] if chosen.get("groups") else None,
    },
    create=s.create_member,
    update=s.update_member,
    archive=s.archive_member,
    restore=s.restore_member,
    delete=s.delete_member,
)

# -------------------------------------------------------------------------------------------- newcomers


def _newcomer_fields(ctx: Context, values: Mapping[str, Any] | None) -> list[FormField]:
    return [
        field_of("first_name", required=True),
        field_of("last_name"),
        field_of("municipality", "select", options=q.municipality_names(), required=True),
        field_of("country_of_origin"),
        field_of("languages"),
        field_of("household_size", "int", required=True),
        field_of("arrival_date", "date", required=True),
        field_of("permit_date", "date"),
        field_of("registration_date", "date", required=True),
        field_of(
            "status",
            "select",
            options=[x.value for x in NewcomerStatus],
            format_func=_label("newcomer_status"),
            required=True,
        ),
        field_of("email"),
        field_of("phone"),
    ]


NEWCOMERS = RecordAdmin(
    name="newcomers",
    table="newcomer",
    id_column="newcomer_id",
    list_query=lambda ctx, archived: ui.cached(q.newcomers_table)(
        ctx.scope, ctx.filters, include_archived=archived
    ),
    columns=[
        Column("code", "col.code"),
        Column("first_name", "field.first_name"),
        Column("last_name", "field.last_name"),
        Column("municipality", "col.municipality"),
        Column("country_of_origin", "field.country_of_origin"),
        Column("household_size", "field.household_size"),
        Column("registration_date", "field.registration_date", date=True),
        Column("status", "col.status", show=_label("newcomer_status")),
        Column("archived", "field.archived"),
    ],
    search_fields=["code", "first_name", "last_name", "municipality", "country_of_origin", "email", "phone"],
    filters=[
        ListFilter(
            "status",
            "col.status",
            "status",
            lambda ctx: {x.value: i18n.label("newcomer_status", x.value) for x in NewcomerStatus},
        )
    ],
    row_label=lambda r: f"{r.code} · {r.first_name} {r.last_name}",
    record_query=q.newcomer_record,
    title=lambda v: f"{v['code']} · {v['first_name']} {v['last_name']}",
    fields=_newcomer_fields,
    new_fields=lambda ctx: _code(),
    new_values=lambda ctx, chosen: {"household_size": 1, "status": "wacht", "registration_date": ui.as_of()},
    create=s.create_newcomer,
    update=s.update_newcomer,
    archive=s.archive_newcomer,
    restore=s.restore_newcomer,
    delete=s.delete_newcomer,
)

# ------------------------------------------------------------------------------------- community builders

BUILDERS = RecordAdmin(
    name="builders",
    table="community_builder",
    id_column="builder_id",
    list_query=lambda ctx, archived: ui.cached(q.builders_table)(ctx.scope, include_archived=archived),
    columns=[
        Column("name", "col.name"),
        Column("email", "col.email"),
        Column("municipality", "col.municipality"),
        Column("languages", "field.languages"),
        Column("groups", "manage.col.groups"),
        Column("archived", "field.archived"),
    ],
    search_fields=["name", "email", "municipality", "languages"],
    row_label=lambda r: r.name,
    record_query=q.builder_record,
    title=lambda v: v["name"],
    fields=lambda ctx, values: [
        field_of("name", required=True),
        field_of("email"),
        field_of("municipality", "select", options=q.municipality_names(), required=True),
        field_of("languages"),
    ],
    create=s.create_builder,
    update=s.update_builder,
    archive=s.archive_builder,
    restore=s.restore_builder,
    delete=s.delete_builder,
)

# ------------------------------------------------------------------------------------------------ users


def _user_fields(ctx: Context, values: Mapping[str, Any] | None) -> list[FormField]:
    builders = _builders(ctx)
    return [
        field_of(
            "role",
            "select",
            options=[x.value for x in UserRole],
            format_func=lambda v: ui.t(f"user_role.{v}"),
            required=True,
        ),
        field_of(
            "community_builder_id",
            "select",
            options=[None, *builders],
            format_func=lambda v: builders.get(v, str(v)),
            help=ui.t("manage.builder_help"),
        ),
        field_of(
            "municipalities",
            "multiselect",
            options=ui.cached(q.account_municipality_options)(ctx.scope),
            help=ui.t("manage.users.municipalities_help"),
        ),
        # Reminders by e-mail (issue 17): where the weekly digest goes, whether it is sent, its language.
        field_of("email", help=ui.t("settings.email_help")),
        field_of("weekly_digest", "checkbox", help=ui.t("settings.digest_help")),
        field_of(
            "language", "select", options=list(i18n.LANGUAGE_NAMES), format_func=i18n.LANGUAGE_NAMES.get
        ),
    ]


def _user_reach(frame):
    """The municipalities an account reaches, in words: a coordinator without any is national."""
    national = ui.t("user_scope.national")
    return frame.assign(
        municipalities=[
            m or (national if r == UserRole.COORDINATOR.value else formatting.EMPTY)
            for m, r in zip(frame["municipalities"], frame["role"], strict=True)
        ]
    )


def _account_actions(ctx: Context, account: Shown, values: Mapping[str, Any]) -> None:
    """Deactivate (asks first) or activate the account, and set a new password."""
    engine, scope, slot, safe_name = ctx.engine, ctx.scope, "manage_users_open", ui.md(account.name)
    if values["active"]:
        actions.action_button(
            "users-deactivate",
            account,
            label=ui.t("manage.deactivate_named", name=safe_name),
            icon=":material/person_off:",
            destructive=True,
            confirm_text=ui.t("manage.deactivate_confirm", name=safe_name),
            done_text=ui.t("manage.deactivated_named", name=safe_name),
            slot=slot,
            call=lambda shown, _: s.update_user_account(
                engine, scope, user_id=shown.id, expected_version=shown.version, changes={"active": False}
            ),
        )
    else:
        actions.action_button(
            "users-activate",
            account,
            label=ui.t("manage.activate_named", name=safe_name),
            icon=":material/person:",
            done_text=ui.t("manage.activated_named", name=safe_name),
            slot=slot,
            call=lambda shown, _: s.update_user_account(
                engine, scope, user_id=shown.id, expected_version=shown.version, changes={"active": True}
            ),
        )
    actions.action_form(
        "users-password",
        account,
        fields=[FormField("new_password", ui.t("manage.new_password"), "password")],
        submit_label=ui.t("manage.reset_password_named", name=safe_name),
        check_repeat=False,
        done_text=ui.t("manage.password_done_named", name=safe_name),
        call=lambda shown, v: s.reset_password(
            engine, scope, user_id=shown.id, expected_version=shown.version, **v
        ),
    )


USERS = RecordAdmin(
    name="users",
    table="user_account",
    id_column="user_id",
    list_query=lambda ctx, archived: ui.cached(q.users_table)(ctx.scope),
    prepare=_user_reach,
    columns=[
        Column("username", "field.username"),
        Column("role", "col.role", show=lambda v: ui.t(f"user_role.{v}")),
        Column("municipalities", "field.municipalities"),
        Column("community_builder", "col.community_builder"),
        Column("email", "field.email"),
        Column("weekly_digest", "field.weekly_digest"),
        Column("active", "field.active"),
    ],
    search_fields=["username", "community_builder"],
    row_label=lambda r: r.username,
    record_query=q.user_record,
    title=lambda v: v["username"],
    fields=_user_fields,
    new_fields=lambda ctx: [
        field_of("username", required=True),
        field_of("password", "password", required=True),
    ],
    new_values=lambda ctx, chosen: {
        "role": UserRole.COMMUNITY_BUILDER.value,
        "active": True,
        "municipalities": list(ctx.scope.municipalities),
        "weekly_digest": True,
        "language": "nl",
    },
    create=s.create_user_account,
    update=s.update_user_account,
    note=lambda v: None if v["active"] else "manage.inactive",
    read_only=lambda v: False,
    record_actions=_account_actions,
)

SPECS: tuple[RecordAdmin, ...] = (GROUPS, MEMBERS, NEWCOMERS, BUILDERS, USERS)
"""Beheer's record sections, in the order of the page."""
