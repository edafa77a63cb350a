"""Privacy (coordinators): one person's data — export it for a subject-access request, or erase it on
request — and the people past the retention period, anonymised in one step after confirmation.

Reads via samenhier.queries.privacy, writes via samenhier.services.privacy, files via
samenhier.io.subject_access. What is erased and what stays is decided there (and in samenhier.privacy).
"""

import pandas as pd
import streamlit as st

from samenhier import actions, formatting, i18n, ui
from samenhier.forms import FormField
from samenhier.io import subject_access
from samenhier.privacy import PERSON_KINDS, list_id
from samenhier.queries import privacy as q
from samenhier.queries.records import search_frame
from samenhier.scope import AccessDenied
from samenhier.services import privacy as s
from samenhier.widgets import paginate

EXPORT_KEY = "privacy_export"
MAX_OPTIONS = 200
# People offered in the chooser at once; a search narrows a national store down.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

scope = ui.require_scope()
if not scope.is_coordinator:
    ui.denied()
engine = ui.engine()
as_of = ui.as_of()
filters = ui.current_filters()
lang = ui.current_language()
st.title(ui.t("privacy.title"))
st.caption(ui.t("privacy.intro"))


def kind_label(kind: str) -> str:
    return ui.t("audit.table.member") if kind == "member" else ui.t("audit.table.newcomer")


def person_tab() -> None:
    kind = st.radio(
        ui.t("privacy.kind"), PERSON_KINDS, format_func=kind_label, horizontal=True, key="privacy_kind"
    )
    people = ui.cached(q.people)(scope, kind=kind)
    search = st.text_input(
        ui.t("privacy.search"), key="privacy_search", placeholder=ui.t("privacy.search_hint")
    )
    found = search_frame(people, search, ["code", "name", "groups", "municipality"])
    if len(found) > MAX_OPTIONS:
        st.caption(ui.t("privacy.narrow", shown=MAX_OPTIONS, total=len(found)))
        found = found.head(MAX_OPTIONS)
    if found.empty:
        st.info(ui.t("privacy.none_found"))
        actions.feedback(f"privacy_person_{kind}")
        return
    person = actions.pick(
        found,
        key=f"privacy_person_{kind}",
        id_column="person_id",
        label=ui.t("privacy.person"),
        format_row=lambda r: f"{r.code} · {r.name}",
        limit=MAX_OPTIONS,
    )
    if person is None:
        return
    person_id = int(person["person_id"])
    st.caption(
        " · ".join(
            part
            for part in (
                ui.md(person["code"]),
                ui.md(person["groups"]),
                ui.md(person["municipality"]),
                i18n.label("newcomer_status" if kind == "newcomer" else "member_role", person["status"]),
                ui.t("privacy.archived") if person["archived"] else "",
                ui.t("privacy.erased") if person["erased"] else "",
            )
            if part
        )
    )

    st.subheader(ui.t("privacy.export.title"))
    st.write(ui.t("privacy.export.text"))
    export_for = f"{kind}-{person_id}"
    if st.button(
        ui.t("privacy.export.button"), key=f"privacy_export_{export_for}", icon=":material/download:"
    ):
        try:
            st.session_state[EXPORT_KEY] = (
                export_for,
                s.export_person(engine, scope, kind=kind, person_id=person_id),
            )
        except AccessDenied:
            ui.denied()
    held = st.session_state.get(EXPORT_KEY)
    if held and held[0] == export_for:
        export = held[1]
        st.success(ui.t("privacy.export.ready", **{k: len(v) for k, v in export.sections.items()}))
        left, right = st.columns(2)
        left.download_button(
            ui.t("privacy.export.json"),
            subject_access.to_json(export),
            file_name=subject_access.file_name(export, "json"),
            mime="application/json",
            key=f"privacy_json_{export_for}",
        )
        right.download_button(
            ui.t("privacy.export.xlsx"),
            subject_access.to_xlsx(export, lang),
            file_name=subject_access.file_name(export, "xlsx"),
            mime=XLSX,
            key=f"privacy_xlsx_{export_for}",
        )

    st.subheader(ui.t("privacy.erase.title"))
    if person["erased"]:
        st.info(ui.t("privacy.erase.already"))
        return
    st.write(ui.t(f"privacy.erase.text.{kind}"))
    shown = actions.Shown(person_id, int(person["version"]), f"{person['code']} · {person['name']}")

    def erased(done) -> None:
        st.session_state.pop(EXPORT_KEY, None)
        actions.tell(
            f"privacy_person_{kind}",
            "info",
            ui.t(
                "privacy.erase.done",
                code=ui.md(done.code),
                notes=sum(done.notes_cleared.values()),
                events=done.audit_events_scrubbed,
            ),
        )

    actions.action_form(
        f"privacy_erase_{kind}",
        shown,
        destructive=True,
        icon=":material/delete_forever:",
        check_repeat=False,
        fields=[FormField("confirm_code", ui.t("privacy.erase.confirm", code=ui.md(person["code"])))],
        call=lambda record, values: s.erase_person(
            engine, scope, kind=kind, person_id=record.id, expected_version=record.version, **values
        ),
        submit_label=ui.t("privacy.erase.button_named", name=ui.md(shown.name)),
        confirm_text=ui.t("privacy.erase.question", name=ui.md(shown.name)),
        done_text=ui.t("privacy.erase.done_named", name=ui.md(shown.name)),
        slot=f"privacy_person_{kind}",
        on_done=erased,
    )


def retention_tab() -> None:
    st.write(ui.t("privacy.retention.rule", months=ui.settings().retention_months))
    due = ui.cached(q.retention_due)(scope, as_of=as_of, filters=filters)
    if filters.municipalities:  # the list follows the sidebar's municipalities, and says so
        st.caption(
            ui.t("privacy.retention.filtered", municipalities=ui.md(", ".join(filters.municipalities)))
        )
    actions.feedback("privacy_retention")
    if due.empty:
        st.success(ui.t("privacy.retention.none", date=ui.fmt_date(as_of)))
    else:
        shown = paginate(due, key="privacy_retention_page")  # the browser gets one page; the action takes all
        st.dataframe(
            pd.DataFrame(
                {
                    "kind": shown["kind"].map(kind_label),
                    "code": shown["code"],
                    "name": shown["name"],
                    "municipality": shown["municipality"],
                    "last_activity": pd.to_datetime(shown["last_activity"]),
                    "due_date": pd.to_datetime(shown["due_date"]),
                }
            ),
            hide_index=True,
            width="stretch",
            height=360,
            column_config={
                "kind": ui.t("privacy.kind"),
                "code": ui.t("col.code"),
                "name": ui.t("col.name"),
                "municipality": ui.t("col.municipality"),
                "last_activity": ui.date_column(ui.t("privacy.col.last_activity")),
                "due_date": ui.date_column(ui.t("privacy.col.due_date")),
            },
            placeholder=formatting.EMPTY,
        )
        people = list(
            zip(due["kind"], due["person_id"], strict=True)
        )  # exactly the people listed above go with the click
        listed = actions.Shown(list_id(people), None, ui.t("privacy.retention.name", n=len(people)))
        actions.action_form(
            "privacy_retention",
            listed,
            destructive=True,
            icon=":material/delete_forever:",
            check_repeat=False,
            fields=[FormField("confirm", ui.t("privacy.retention.confirm", n=len(due)), "checkbox")],
            call=lambda _, values: s.anonymise_past_retention(
                engine, scope, as_of=as_of, people=people, **values
            ),
            submit_label=ui.t("privacy.retention.button", n=len(due)),  # the ticked box is the confirmation
            done_text=ui.t("privacy.retention.done", n=len(due)),
            slot="privacy_retention",
        )
    erased = ui.cached(q.erased_counts)(scope)
    st.caption(
        ui.t(
            "privacy.erased_so_far",
            newcomers=formatting.format_number(erased["newcomer"], lang),
            members=formatting.format_number(erased["member"], lang),
        )
    )


sections = {"person": ui.t("privacy.tab.person"), "retention": ui.t("privacy.tab.retention")}
for slug, tab in actions.tabs("privacy", sections).items():
    if tab.open:
        with tab:
            (person_tab if slug == "person" else retention_tab)()
