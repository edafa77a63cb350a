"""Beheer (coordinators): search, open, create, edit, archive and delete welcome groups, members,
newcomers, community builders and accounts. Reads via samenhier.queries.records, writes via
samenhier.services.records; the form mechanics (kept input, field errors, conflicts) are in samenhier.forms."""

import hashlib

import pandas as pd
import streamlit as st

from samenhier import actions, formatting, i18n, milestone_admin, ui
from samenhier.forms import FormField, edited_records, record_form
from samenhier.models import GroupStatus, MemberRole, NewcomerStatus, UserRole, Variant
from samenhier.queries import records as q
from samenhier.queries.audit import audit_events, readable_events
from samenhier.rules import GROUP_TRANSITIONS
from samenhier.services import records as s
from samenhier.services.common import ValidationFailed, VersionConflict
from samenhier.widgets import paginate

scope = ui.require_scope()
if not scope.is_coordinator:
    ui.denied()
engine = ui.engine()
filters = ui.current_filters()
st.title(ui.t("manage.title"))

SECTIONS = ["groups", "members", "newcomers", "builders", "users", "milestones"]
follow_section = actions.link_section("manage_section", SECTIONS)  # ?tab=members opens that section
section = st.radio(ui.t("manage.section"), SECTIONS, horizontal=True, key="manage_section",
                   format_func=lambda k: ui.t(f"manage.section.{k}"), label_visibility="collapsed")
follow_section(section)
NEW = "new"


def f(name: str, kind: str = "text", **kw) -> FormField:
    return FormField(name, ui.t(f"field.{name}"), kind, **kw)


def open_key(name: str) -> str:
    return f"manage_{name}_open"


def choose_record(name: str, table: pd.DataFrame, id_column: str, label) -> object:
    """The record of ``table`` (the rows shown above, after search and filters) to open, or a new one
    (:data:`actions.NEW`); nothing is open at first, and a record the search or filters no longer show closes."""
    chosen = actions.pick(table, key=open_key(name), id_column=id_column, label=ui.t("manage.open"), format_row=label,
                          placeholder=ui.t("manage.open_hint"), new_label=ui.t(f"manage.new.{name}"))
    if chosen is None or isinstance(chosen, str):
        return chosen
    return int(chosen[id_column])


def select_later(name: str, value) -> None:
    actions.choose_later(open_key(name), value)


def history_and_actions(name: str, table: str, record: actions.Shown, values: dict, *, archive, restore, delete) -> None:
    """Archive / restore, delete (only without history, after a confirmation naming the record), and the record's audit trail."""
    history = s.record_history(engine, scope, table=table, record_id=record.id) if delete else {}
    cols = st.columns(2)
    slot = open_key(name)
    with cols[0]:
        if values["archived"]:
            actions.action_button(f"{name}-restore", record, label=ui.t("manage.restore_named", name=ui.md(record.name)),
                                  icon=":material/unarchive:", slot=slot, done_text=ui.t("manage.restored_named", name=ui.md(record.name)),
                                  call=lambda shown, _: restore(shown.version))
        else:
            actions.action_button(f"{name}-archive", record, label=ui.t("manage.archive_named", name=ui.md(record.name)),
                                  icon=":material/archive:", slot=slot, done_text=ui.t("manage.archived_named", name=ui.md(record.name)),
                                  call=lambda shown, _: archive(shown.version))
    with cols[1]:
        if delete and history:
            st.caption(ui.t("manage.has_history", what=", ".join(ui.t(f"manage.history.{k}", n=n) for k, n in history.items())))
        elif delete:
            actions.action_button(f"{name}-delete", record, label=ui.t("manage.delete_named", name=ui.md(record.name)),
                                  icon=":material/delete_forever:", destructive=True, slot=slot,
                                  confirm_text=ui.t("manage.delete_confirm_named", name=ui.md(record.name)),
                                  done_text=ui.t("manage.deleted_named", name=ui.md(record.name)),
                                  call=lambda shown, _: delete(shown.version), on_done=lambda _: actions.drop_choice(slot))
    with st.expander(ui.t("manage.history")):
        events = audit_events(engine, scope, record=(table, record.id), limit=50).events
        if events.empty:
            st.caption(ui.t("manage.no_history"))
        for event in readable_events(engine, events, ui.current_language()).itertuples():
            st.markdown(f"**{formatting.datetime_text(event.at)}** · {ui.md(event.username)} · {event.action}")
            if event.changes:
                st.text(event.changes)


def edit_record(name: str, table: str, title: str, fields, values: dict, record_id: int, id_arg: str, *,
                update, archive, restore, delete) -> None:
    """An existing record of section ``name``: its form, and below it archive / restore / delete and its
    history. The four services are called as ``service(engine, scope, <id_arg>=record_id, …)``."""
    ids = {id_arg: record_id}
    st.subheader(title)
    if values["archived"]:
        st.info(ui.t("manage.is_archived"))
    prefix = f"{name}-{record_id}"
    record_form(prefix, fields, values,
                save=lambda ch, snap: update(engine, scope, **ids, expected_version=snap["version"], changes=ch, original=snap),
                submit_label=ui.t("manage.save_named", name=ui.md(title)), saved_text=ui.t("manage.saved_named", name=ui.md(title)),
                read_only=values["archived"])
    # the version the form was opened with: archiving or deleting a record someone changed since is refused
    record = actions.Shown(record_id, int(st.session_state.get(f"{prefix}-opened", values)["version"]), title)
    history_and_actions(name, table, record, values,
                        archive=lambda v: archive(engine, scope, **ids, expected_version=v),
                        restore=lambda v: restore(engine, scope, **ids, expected_version=v),
                        delete=lambda v: delete(engine, scope, **ids, expected_version=v))


def search_box(name: str) -> str:
    return st.text_input(ui.t("manage.search"), key=f"manage_{name}_search", placeholder=ui.t("manage.search_hint"))


def show_archived(name: str) -> bool:
    return st.checkbox(ui.t("manage.show_archived"), key=f"manage_{name}_archived")


# ----------------------------------------------------------------------------------------------- groups
if section == "groups":
    builders = ui.cached(q.builder_options)(scope)
    left, middle, right = st.columns([3, 2, 1])
    with left:
        search = search_box("groups")
    with middle:
        statuses = st.multiselect(ui.t("col.status"), [x.value for x in GroupStatus], key="manage_groups_status",
                                  format_func=lambda v: i18n.label("group_status", v), placeholder=ui.t("filters.all"))
    with right:
        archived = show_archived("groups")
    table = ui.cached(q.groups_table)(scope, filters, include_archived=archived)
    if statuses:
        table = table[table["status"].isin(statuses)]
    table = q.search_frame(table, search, ["code", "name", "municipality", "community_builder"])
    page = paginate(table, key="manage_groups_page")
    st.dataframe(page.assign(
        status=page["status"].map(lambda v: i18n.label("group_status", v)), variant=page["variant"].map(lambda v: i18n.label("variant", v)),
        signup_date=pd.to_datetime(page["signup_date"]), archived=page["archived"].map(formatting.yes_no),
    )[["code", "name", "municipality", "variant", "status", "community_builder", "members", "signup_date", "archived"]],
        hide_index=True, width="stretch", height=280, column_config={
            "code": ui.t("col.code"), "name": ui.t("col.name"), "municipality": ui.t("col.municipality"), "variant": ui.t("field.variant"),
            "status": ui.t("col.status"), "community_builder": ui.t("col.community_builder"), "members": ui.t("manage.col.members"),
            "signup_date": ui.date_column(ui.t("field.signup_date")), "archived": ui.t("field.archived")}, placeholder=formatting.EMPTY)
    st.caption(ui.t("manage.count", n=len(table)))
    choice = choose_record("groups", table, "group_id", lambda r: f"{r.code} · {r.name}")

    def group_fields(current_status: str | None) -> list[FormField]:
        if current_status is None:
            statuses_allowed = [x.value for x in GroupStatus]
        else:
            statuses_allowed = [current_status, *[x.value for x in GroupStatus if x in GROUP_TRANSITIONS[GroupStatus(current_status)]]]
        return [
            f("name", required=True), f("municipality", "select", options=q.municipality_names(), required=True),
            f("variant", "select", options=[x.value for x in Variant], format_func=lambda v: i18n.label("variant", v), required=True),
            f("status", "select", options=statuses_allowed, format_func=lambda v: i18n.label("group_status", v), required=True),
            f("community_builder_id", "select", options=[None, *builders], format_func=lambda v: builders.get(v, str(v))),
            f("signup_date", "date", required=True), f("training_completed_date", "date"), f("notes", "textarea"),
        ]

    if choice == actions.NEW:
        fields = [f("code", help=ui.t("manage.code_help")), *group_fields(None)]
        record_form("groups-new", fields, {"variant": "statushouders", "status": "werving", "signup_date": ui.as_of()},
                    save=lambda ch, _: s.create_group(engine, scope, values=ch), submit_label=ui.t("manage.create"),
                    saved_text=ui.t("manage.created"), is_new=True, on_saved=lambda saved: select_later("groups", saved.id), slot=open_key("groups"))
    elif choice is not None:
        try:
            values = q.group_record(engine, scope, int(choice))
        except ui.AccessDenied:
            ui.denied()
        edit_record("groups", "welcome_group", f"{values['code']} · {values['name']}", group_fields(values["status"]), values, int(choice), "group_id",
                    update=s.update_group, archive=s.archive_group, restore=s.restore_group, delete=s.delete_group)

# ---------------------------------------------------------------------------------------------- members
elif section == "members":
    groups = ui.cached(q.group_options)(scope, filters)
    left, middle, right = st.columns([3, 2, 1])
    with left:
        search = search_box("members")
    with middle:
        if len(groups) <= actions.PICK_LIMIT:
            in_groups = st.multiselect(ui.t("field.group_id"), list(groups), key="manage_members_groups",
                                       format_func=lambda v: groups.get(v, str(v)), placeholder=ui.t("filters.all"))
        else:  # thousands of groups: every one would be sent as an option; the search box finds group codes and names
            in_groups = []
            st.caption(ui.t("manage.members_group_search"))
    with right:
        archived = show_archived("members")
    table = ui.cached(q.members_table)(scope, filters, include_archived=archived)
    if in_groups:
        table = table[table["group_id"].isin(in_groups)]
    table = q.search_frame(table, search, ["code", "first_name", "last_name", "email", "phone", "group_code", "group_name"])
    page = paginate(table, key="manage_members_page")
    shown = page[["member_id", "version", "code", "group_code", "first_name", "last_name", "email", "phone", "vog_date"]].reset_index(drop=True)
    shown = shown.assign(vog_date=pd.to_datetime(shown["vog_date"]))
    # Edits are reported by row position: the editor's key names the exact rows shown (page, search,
    # filter), so an edit can never land on another member when the rows change.
    editor_key = "manage_members_editor_" + hashlib.sha1(shown["member_id"].to_numpy().tobytes()).hexdigest()[:12]
    st.caption(ui.t("manage.bulk_hint"))
    st.data_editor(shown, key=editor_key, hide_index=True, width="stretch", height=280,
                   disabled=["member_id", "version", "code", "group_code", "first_name", "last_name"],
                   column_order=["code", "group_code", "first_name", "last_name", "email", "phone", "vog_date"],
                   column_config={"code": ui.t("col.code"), "group_code": ui.t("field.group_id"), "first_name": ui.t("field.first_name"),
                                  "last_name": ui.t("field.last_name"), "email": ui.t("col.email"), "phone": ui.t("col.phone"),
                                  "vog_date": ui.date_column(ui.t("col.vog"))}, placeholder=formatting.EMPTY)
    edits = edited_records(shown, st.session_state.get(editor_key, {}).get("edited_rows", {}),
                           id_column="member_id", date_columns=["vog_date"])
    if edits and st.button(ui.t("manage.bulk_save", n=len(edits)), key="manage_members_bulk_save", type="primary"):
        problems, done = [], 0
        for member_id, version, changes, original in edits:
            code = shown.loc[shown["member_id"] == member_id, "code"].iloc[0]
            try:
                s.update_member(engine, scope, member_id=member_id, expected_version=version, changes=changes, original=original)
                done += 1
            except ValidationFailed as exc:
                problems += [f"{code}: {e.message(ui.current_language())}" for e in exc.errors]
            except VersionConflict:
                problems.append(f"{code}: {ui.t('forms.changed_meanwhile')}")
        del st.session_state[editor_key]
        actions.tell("manage_members_bulk", "success" if not problems else "warning", ui.t("manage.bulk_done", n=done), toast=not problems)
        for problem in problems:
            actions.tell("manage_members_bulk", "error", problem)
        st.rerun()
    actions.feedback("manage_members_bulk")
    st.caption(ui.t("manage.count", n=len(table)))
    choice = choose_record("members", table, "member_id", lambda r: f"{r.code} · {r.first_name} {r.last_name}")
    fields = [
        f("group_id", "select", options=list(groups), format_func=lambda v: groups.get(v, str(v)), required=True),
        f("first_name", required=True), f("last_name"), f("email"), f("phone"),
        f("role", "select", options=[x.value for x in MemberRole], format_func=lambda v: i18n.label("member_role", v), required=True),
        f("joined_date", "date", required=True), f("vog_date", "date"),
    ]
    if choice == actions.NEW:
        record_form("members-new", [f("code", help=ui.t("manage.code_help")), *fields],
                    {"role": "lid", "joined_date": ui.as_of(), "group_id": in_groups[0] if in_groups else None},
                    save=lambda ch, _: s.create_member(engine, scope, values=ch), submit_label=ui.t("manage.create"),
                    saved_text=ui.t("manage.created"), is_new=True, on_saved=lambda saved: select_later("members", saved.id), slot=open_key("members"))
    elif choice is not None:
        try:
            values = q.member_record(engine, scope, int(choice))
        except ui.AccessDenied:
            ui.denied()
        edit_record("members", "member", f"{values['code']} · {values['first_name']} {values['last_name']}", fields, values, int(choice), "member_id",
                    update=s.update_member, archive=s.archive_member, restore=s.restore_member, delete=s.delete_member)

# -------------------------------------------------------------------------------------------- newcomers
elif section == "newcomers":
    left, middle, right = st.columns([3, 2, 1])
    with left:
        search = search_box("newcomers")
    with middle:
        statuses = st.multiselect(ui.t("col.status"), [x.value for x in NewcomerStatus], key="manage_newcomers_status",
                                  format_func=lambda v: i18n.label("newcomer_status", v), placeholder=ui.t("filters.all"))
    with right:
        archived = show_archived("newcomers")
    table = ui.cached(q.newcomers_table)(scope, filters, include_archived=archived)
    if statuses:
        table = table[table["status"].isin(statuses)]
    table = q.search_frame(table, search, ["code", "first_name", "last_name", "municipality", "country_of_origin", "email", "phone"])
    page = paginate(table, key="manage_newcomers_page")
    st.dataframe(page.assign(status=page["status"].map(lambda v: i18n.label("newcomer_status", v)),
                             registration_date=pd.to_datetime(page["registration_date"]))[
        ["code", "first_name", "last_name", "municipality", "country_of_origin", "household_size", "registration_date", "status", "archived"]].pipe(formatting.readable_frame),
        hide_index=True, width="stretch", height=280, column_config={
            "code": ui.t("col.code"), "first_name": ui.t("field.first_name"), "last_name": ui.t("field.last_name"),
            "municipality": ui.t("col.municipality"), "country_of_origin": ui.t("field.country_of_origin"),
            "household_size": ui.t("field.household_size"), "registration_date": ui.date_column(ui.t("field.registration_date")),
            "status": ui.t("col.status"), "archived": ui.t("field.archived")}, placeholder=formatting.EMPTY)
    st.caption(ui.t("manage.count", n=len(table)))
    choice = choose_record("newcomers", table, "newcomer_id", lambda r: f"{r.code} · {r.first_name} {r.last_name}")
    fields = [
        f("first_name", required=True), f("last_name"), f("municipality", "select", options=q.municipality_names(), required=True),
        f("country_of_origin"), f("languages"), f("household_size", "int", required=True), f("arrival_date", "date", required=True),
        f("permit_date", "date"), f("registration_date", "date", required=True),
        f("status", "select", options=[x.value for x in NewcomerStatus], format_func=lambda v: i18n.label("newcomer_status", v),
          required=True),
        f("email"), f("phone"),
    ]
    if choice == actions.NEW:
        record_form("newcomers-new", [f("code", help=ui.t("manage.code_help")), *fields],
                    {"household_size": 1, "status": "wacht", "registration_date": ui.as_of()},
                    save=lambda ch, _: s.create_newcomer(engine, scope, values=ch), submit_label=ui.t("manage.create"),
                    saved_text=ui.t("manage.created"), is_new=True, on_saved=lambda saved: select_later("newcomers", saved.id), slot=open_key("newcomers"))
    elif choice is not None:
        values = q.newcomer_record(engine, scope, int(choice))
        edit_record("newcomers", "newcomer", f"{values['code']} · {values['first_name']} {values['last_name']}", fields, values, int(choice), "newcomer_id",
                    update=s.update_newcomer, archive=s.archive_newcomer, restore=s.restore_newcomer, delete=s.delete_newcomer)

# ------------------------------------------------------------------------------------- community builders
elif section == "builders":
    left, right = st.columns([5, 1])
    with left:
        search = search_box("builders")
    with right:
        archived = show_archived("builders")
    table = q.search_frame(ui.cached(q.builders_table)(scope, include_archived=archived), search, ["name", "email", "municipality", "languages"])
    st.dataframe(formatting.readable_frame(table[["name", "email", "municipality", "languages", "groups", "archived"]]), hide_index=True, width="stretch",
                 column_config={"name": ui.t("col.name"), "email": ui.t("col.email"), "municipality": ui.t("col.municipality"),
                                "languages": ui.t("field.languages"), "groups": ui.t("manage.col.groups"), "archived": ui.t("field.archived")}, placeholder=formatting.EMPTY)
    choice = choose_record("builders", table, "builder_id", lambda r: r.name)
    fields = [f("name", required=True), f("email"), f("municipality", "select", options=q.municipality_names(), required=True),
              f("languages")]
    if choice == actions.NEW:
        record_form("builders-new", fields, {}, save=lambda ch, _: s.create_builder(engine, scope, values=ch),
                    submit_label=ui.t("manage.create"), saved_text=ui.t("manage.created"), is_new=True,
                    on_saved=lambda saved: select_later("builders", saved.id), slot=open_key("builders"))
    elif choice is not None:
        values = q.builder_record(engine, scope, int(choice))
        edit_record("builders", "community_builder", values["name"], fields, values, int(choice), "builder_id",
                    update=s.update_builder, archive=s.archive_builder, restore=s.restore_builder, delete=s.delete_builder)

elif section == "milestones":  # issue 19: a variant's milestones (samenhier/milestone_admin.py)
    milestone_admin.render(engine, scope)

# ------------------------------------------------------------------------------------------------ users
else:
    builders = ui.cached(q.builder_options)(scope)
    table = q.search_frame(ui.cached(q.users_table)(scope), search_box("users"), ["username", "community_builder"])
    national = ui.t("user_scope.national")
    st.dataframe(table.assign(role=table["role"].map(lambda v: ui.t(f"user_role.{v}")), municipalities=[
        m or (national if r == UserRole.COORDINATOR.value else "–") for m, r in zip(table["municipalities"], table["role"], strict=True)])[
        ["username", "role", "municipalities", "community_builder", "email", "weekly_digest", "active", "locked"]].pipe(
            formatting.readable_frame), hide_index=True, width="stretch", column_config={
            "username": ui.t("field.username"), "role": ui.t("col.role"), "municipalities": ui.t("field.municipalities"),
            "community_builder": ui.t("col.community_builder"), "email": ui.t("field.email"),
            "weekly_digest": ui.t("field.weekly_digest"), "active": ui.t("field.active"), "locked": ui.t("manage.col.locked")},
        placeholder=formatting.EMPTY)
    choice = choose_record("users", table, "user_id", lambda r: r.username)
    fields = [f("role", "select", options=[x.value for x in UserRole], format_func=lambda v: ui.t(f"user_role.{v}"), required=True),
              f("community_builder_id", "select", options=[None, *builders], format_func=lambda v: builders.get(v, str(v)),
                help=ui.t("manage.builder_help")),
              f("municipalities", "multiselect", options=ui.cached(q.account_municipality_options)(scope),
                help=ui.t("manage.users.municipalities_help")),
              # Reminders by e-mail (issue 17): where the weekly digest goes, whether it is sent, its language.
              f("email", help=ui.t("settings.email_help")), f("weekly_digest", "checkbox", help=ui.t("settings.digest_help")),
              f("language", "select", options=list(i18n.LANGUAGE_NAMES), format_func=i18n.LANGUAGE_NAMES.get)]
    if choice == actions.NEW:
        record_form("users-new", [f("username", required=True), f("password", "password", required=True), *fields],
                    {"role": UserRole.COMMUNITY_BUILDER.value, "active": True, "municipalities": list(scope.municipalities),
                     "weekly_digest": True, "language": "nl"},
                    save=lambda ch, _: s.create_user_account(engine, scope, values=ch), submit_label=ui.t("manage.create"),
                    saved_text=ui.t("manage.created"), is_new=True, on_saved=lambda saved: select_later("users", saved.id), slot=open_key("users"))
    elif choice is not None:
        values = q.user_record(engine, scope, int(choice))
        st.subheader(ui.md(values["username"]))
        if not values["active"]:
            st.info(ui.t("manage.inactive"))
        prefix = f"users-{choice}"
        record_form(prefix, fields, values,
                    save=lambda ch, snap: s.update_user_account(engine, scope, user_id=int(choice), expected_version=snap["version"],
                                                                changes=ch, original=snap),
                    submit_label=ui.t("manage.save_named", name=ui.md(values["username"])),
                    saved_text=ui.t("manage.saved_named", name=ui.md(values["username"])))
        account = actions.Shown(int(choice), int(st.session_state.get(f"{prefix}-opened", values)["version"]), values["username"])
        if values["active"]:
            actions.action_button(
                "users-deactivate", account, label=ui.t("manage.deactivate_named", name=ui.md(account.name)), icon=":material/person_off:",
                destructive=True, confirm_text=ui.t("manage.deactivate_confirm", name=ui.md(account.name)),
                done_text=ui.t("manage.deactivated_named", name=ui.md(account.name)), slot=open_key("users"),
                call=lambda shown, _: s.update_user_account(engine, scope, user_id=shown.id, expected_version=shown.version,
                                                            changes={"active": False}))
        else:
            actions.action_button(
                "users-activate", account, label=ui.t("manage.activate_named", name=ui.md(account.name)), icon=":material/person:",
                done_text=ui.t("manage.activated_named", name=ui.md(account.name)), slot=open_key("users"),
                call=lambda shown, _: s.update_user_account(engine, scope, user_id=shown.id, expected_version=shown.version,
                                                            changes={"active": True}))
        actions.action_form(
            "users-password", account, fields=[FormField("new_password", ui.t("manage.new_password"), "password")],
            submit_label=ui.t("manage.reset_password_named", name=ui.md(account.name)), check_repeat=False,
            done_text=ui.t("manage.password_done_named", name=ui.md(account.name)),
            call=lambda shown, values: s.reset_password(engine, scope, user_id=shown.id, expected_version=shown.version, **values))
