"""Beheer (coordinators): search, open, create, edit, archive and delete welcome groups, members,
newcomers, community builders and accounts. Reads via samenhier.queries.records, writes via
samenhier.services.records; the form mechanics (kept input, field errors, conflicts) are in samenhier.forms."""

import hashlib

import pandas as pd
import streamlit as st

from samenhier import formatting, i18n, ui
from samenhier.forms import FormField, edited_records, flash, record_form, run_action, show_flash
from samenhier.models import GroupStatus, MemberRole, NewcomerStatus, UserRole, Variant
from samenhier.queries import records as q
from samenhier.queries.audit import audit_events, readable_events
from samenhier.rules import GROUP_TRANSITIONS
from samenhier.services import records as s
from samenhier.services.common import ValidationFailed, VersionConflict
from samenhier.widgets import PICK_LIMIT, paginate

scope = ui.require_scope()
if not scope.is_coordinator:
    ui.denied()
engine = ui.engine()
filters = ui.current_filters()
show_flash()
st.title(ui.t("manage.title"))

SECTIONS = ["groups", "members", "newcomers", "builders", "users"]
section = st.radio(ui.t("manage.section"), SECTIONS, horizontal=True, key="manage_section",
                   format_func=lambda k: ui.t(f"manage.section.{k}"), label_visibility="collapsed")
NEW = "new"


def f(name: str, kind: str = "text", **kw) -> FormField:
    return FormField(name, ui.t(f"field.{name}"), kind, **kw)


def open_key(name: str) -> str:
    return f"manage_{name}_open"


def choose_record(name: str, ids: list, label) -> object:
    """The selectbox that opens a record (or a new one); a record saved or deleted elsewhere on the page
    is selected through a pending key before the widget exists. A long list (thousands of members at
    national scale) offers its first PICK_LIMIT records and the open one; the search box narrows it."""
    key = open_key(name)
    if f"{key}_pending" in st.session_state:
        st.session_state[key] = st.session_state.pop(f"{key}_pending")
    current = st.session_state.get(key)
    if current != NEW and current not in set(ids):
        current = None
    offered = ids[:PICK_LIMIT]
    if len(ids) > PICK_LIMIT:
        if current not in (None, NEW) and current not in set(offered):
            offered = [current, *offered]
        lang = ui.current_language()
        st.caption(ui.t("picker.count", shown=i18n.format_number(PICK_LIMIT, lang), total=i18n.format_number(len(ids), lang)))
    # Set the choice on every run, so that the browser is sent its label as it is now. Otherwise, after the
    # open record's label changed (a group renamed, by this user or a colleague), the browser keeps the old
    # label and answers with it on the next click; that matches no option, the record closes and the click
    # (a save, "re-apply my changes") is lost.
    st.session_state[key] = current
    return st.selectbox(ui.t("manage.open"), [NEW, *offered], key=key, placeholder=ui.t("manage.open_hint"),
                        format_func=lambda v: ui.t(f"manage.new.{name}") if v == NEW else label(v))


def select_later(name: str, value) -> None:
    st.session_state[f"{open_key(name)}_pending"] = value


def history_and_actions(name: str, table: str, record_id: int, values: dict, *, archive, restore, delete) -> None:
    """Archive / restore, delete (only without history, after confirmation), and the record's audit trail."""
    prefix = f"{name}-{record_id}"
    version = st.session_state.get(f"{prefix}-opened", values)["version"]
    history = s.record_history(engine, scope, table=table, record_id=record_id) if delete else {}
    cols = st.columns(3)
    if values["archived"]:
        if cols[0].button(ui.t("manage.restore"), key=f"{prefix}-restore", icon=":material/unarchive:"):
            run_action(lambda: restore(version), done_text=ui.t("manage.restored"), on_conflict=lambda: forget_all(prefix))
    elif cols[0].button(ui.t("manage.archive"), key=f"{prefix}-archive", icon=":material/archive:"):
        run_action(lambda: archive(version), done_text=ui.t("manage.archived"), on_conflict=lambda: forget_all(prefix))
    if delete and history:
        cols[1].caption(ui.t("manage.has_history", what=", ".join(ui.t(f"manage.history.{k}", n=n) for k, n in history.items())))
    elif delete:
        confirm_key = f"{prefix}-confirm_delete"
        if not st.session_state.get(confirm_key):
            if cols[1].button(ui.t("manage.delete"), key=f"{prefix}-delete", icon=":material/delete:"):
                st.session_state[confirm_key] = True
                st.rerun()
        else:
            st.warning(ui.t("manage.delete_confirm"))
            yes, no = st.columns(2)
            if yes.button(ui.t("manage.delete_yes"), key=f"{prefix}-delete-yes", type="primary"):
                st.session_state.pop(confirm_key, None)
                run_action(lambda: delete(version), done_text=ui.t("manage.deleted"), on_conflict=lambda: forget_all(prefix),
                           on_done=lambda _: select_later(name, None))
            if no.button(ui.t("manage.delete_no"), key=f"{prefix}-delete-no"):
                st.session_state.pop(confirm_key, None)
                st.rerun()
    with st.expander(ui.t("manage.history")):
        events = audit_events(engine, scope, record=(table, record_id), limit=50).events
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
    record_form(f"{name}-{record_id}", fields, values,
                save=lambda ch, snap: update(engine, scope, **ids, expected_version=snap["version"], changes=ch, original=snap),
                submit_label=ui.t("manage.save"), saved_text=ui.t("manage.saved"), read_only=values["archived"])
    history_and_actions(name, table, record_id, values,
                        archive=lambda v: archive(engine, scope, **ids, expected_version=v),
                        restore=lambda v: restore(engine, scope, **ids, expected_version=v),
                        delete=lambda v: delete(engine, scope, **ids, expected_version=v))


def forget_all(prefix: str) -> None:
    for key in [k for k in st.session_state if str(k).startswith(prefix + "-")]:
        del st.session_state[key]


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
    labels = dict(zip(table["group_id"], table["code"] + " · " + table["name"], strict=True))
    choice = choose_record("groups", list(table["group_id"]), lambda v: labels.get(v, str(v)))

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

    if choice == NEW:
        fields = [f("code", help=ui.t("manage.code_help")), *group_fields(None)]
        record_form("groups-new", fields, {"variant": "statushouders", "status": "werving", "signup_date": ui.as_of()},
                    save=lambda ch, _: s.create_group(engine, scope, values=ch), submit_label=ui.t("manage.create"),
                    saved_text=ui.t("manage.created"), is_new=True, on_saved=lambda saved: select_later("groups", saved.id))
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
        if len(groups) <= PICK_LIMIT:
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
        ui.clear_caches()
        flash("success" if not problems else "warning", ui.t("manage.bulk_done", n=done))
        for problem in problems:
            flash("error", problem)
        st.rerun()
    st.caption(ui.t("manage.count", n=len(table)))
    labels = dict(zip(table["member_id"], table["code"] + " · " + table["first_name"] + " " + table["last_name"], strict=True))
    choice = choose_record("members", list(table["member_id"]), lambda v: labels.get(v, str(v)))
    fields = [
        f("group_id", "select", options=list(groups), format_func=lambda v: groups.get(v, str(v)), required=True),
        f("first_name", required=True), f("last_name"), f("email"), f("phone"),
        f("role", "select", options=[x.value for x in MemberRole], format_func=lambda v: i18n.label("member_role", v), required=True),
        f("joined_date", "date", required=True), f("vog_date", "date"),
    ]
    if choice == NEW:
        record_form("members-new", [f("code", help=ui.t("manage.code_help")), *fields],
                    {"role": "lid", "joined_date": ui.as_of(), "group_id": in_groups[0] if in_groups else None},
                    save=lambda ch, _: s.create_member(engine, scope, values=ch), submit_label=ui.t("manage.create"),
                    saved_text=ui.t("manage.created"), is_new=True, on_saved=lambda saved: select_later("members", saved.id))
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
    labels = dict(zip(table["newcomer_id"], table["code"] + " · " + table["first_name"] + " " + table["last_name"], strict=True))
    choice = choose_record("newcomers", list(table["newcomer_id"]), lambda v: labels.get(v, str(v)))
    fields = [
        f("first_name", required=True), f("last_name"), f("municipality", "select", options=q.municipality_names(), required=True),
        f("country_of_origin"), f("languages"), f("household_size", "int", required=True), f("arrival_date", "date", required=True),
        f("permit_date", "date"), f("registration_date", "date", required=True),
        f("status", "select", options=[x.value for x in NewcomerStatus], format_func=lambda v: i18n.label("newcomer_status", v),
          required=True),
        f("email"), f("phone"),
    ]
    if choice == NEW:
        record_form("newcomers-new", [f("code", help=ui.t("manage.code_help")), *fields],
                    {"household_size": 1, "status": "wacht", "registration_date": ui.as_of()},
                    save=lambda ch, _: s.create_newcomer(engine, scope, values=ch), submit_label=ui.t("manage.create"),
                    saved_text=ui.t("manage.created"), is_new=True, on_saved=lambda saved: select_later("newcomers", saved.id))
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
    labels = dict(zip(table["builder_id"], table["name"], strict=True))
    choice = choose_record("builders", list(table["builder_id"]), lambda v: labels.get(v, str(v)))
    fields = [f("name", required=True), f("email"), f("municipality", "select", options=q.municipality_names(), required=True),
              f("languages")]
    if choice == NEW:
        record_form("builders-new", fields, {}, save=lambda ch, _: s.create_builder(engine, scope, values=ch),
                    submit_label=ui.t("manage.create"), saved_text=ui.t("manage.created"), is_new=True,
                    on_saved=lambda saved: select_later("builders", saved.id))
    elif choice is not None:
        values = q.builder_record(engine, scope, int(choice))
        edit_record("builders", "community_builder", values["name"], fields, values, int(choice), "builder_id",
                    update=s.update_builder, archive=s.archive_builder, restore=s.restore_builder, delete=s.delete_builder)

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
    labels = dict(zip(table["user_id"], table["username"], strict=True))
    choice = choose_record("users", list(table["user_id"]), lambda v: labels.get(v, str(v)))
    fields = [f("role", "select", options=[x.value for x in UserRole], format_func=lambda v: ui.t(f"user_role.{v}"), required=True),
              f("community_builder_id", "select", options=[None, *builders], format_func=lambda v: builders.get(v, str(v)),
                help=ui.t("manage.builder_help")),
              f("municipalities", "multiselect", options=ui.cached(q.account_municipality_options)(scope),
                help=ui.t("manage.users.municipalities_help")),
              # Reminders by e-mail (issue 17): where the weekly digest goes, whether it is sent, its language.
              f("email", help=ui.t("settings.email_help")), f("weekly_digest", "checkbox", help=ui.t("settings.digest_help")),
              f("language", "select", options=list(i18n.LANGUAGE_NAMES), format_func=i18n.LANGUAGE_NAMES.get)]
    if choice == NEW:
        record_form("users-new", [f("username", required=True), f("password", "password", required=True), *fields],
                    {"role": UserRole.COMMUNITY_BUILDER.value, "active": True, "municipalities": list(scope.municipalities),
                     "weekly_digest": True, "language": "nl"},
                    save=lambda ch, _: s.create_user_account(engine, scope, values=ch), submit_label=ui.t("manage.create"),
                    saved_text=ui.t("manage.created"), is_new=True, on_saved=lambda saved: select_later("users", saved.id))
    elif choice is not None:
        values = q.user_record(engine, scope, int(choice))
        st.subheader(ui.md(values["username"]))
        if not values["active"]:
            st.info(ui.t("manage.inactive"))
        prefix = f"users-{choice}"
        record_form(prefix, fields, values,
                    save=lambda ch, snap: s.update_user_account(engine, scope, user_id=int(choice), expected_version=snap["version"],
                                                                changes=ch, original=snap),
                    submit_label=ui.t("manage.save"), saved_text=ui.t("manage.saved"))
        version = st.session_state.get(f"{prefix}-opened", values)["version"]
        label = ui.t("manage.activate") if not values["active"] else ui.t("manage.deactivate")
        if st.button(label, key=f"{prefix}-active"):
            errors = run_action(lambda: s.update_user_account(engine, scope, user_id=int(choice), expected_version=version,
                                                              changes={"active": not values["active"]}),
                                done_text=ui.t("manage.saved"), on_conflict=lambda: forget_all(prefix))
            for messages in errors.values():
                for message in messages:
                    st.error(message)
        with st.form(f"{prefix}-password"):
            new_password = st.text_input(ui.t("manage.new_password"), type="password", key=f"{prefix}-new-password")
            if st.form_submit_button(ui.t("manage.reset_password")):
                errors = run_action(lambda: s.reset_password(engine, scope, user_id=int(choice), expected_version=version,
                                                             new_password=new_password),
                                    done_text=ui.t("manage.password_done"), on_conflict=lambda: forget_all(prefix))
                for messages in errors.values():
                    for message in messages:
                        st.error(message)
