"""Reusable Streamlit widgets: language switch, sidebar filters, pager, import with preview, download buttons,
onboarding, first-account setup. Built on :mod:`samenhier.ui`, which never imports this module (the login
form is in :mod:`samenhier.ui_login`)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from sqlalchemy import select
from sqlalchemy.engine import Engine

from samenhier import formatting, i18n, ui
from samenhier.io.workbook import ImportFailed, ImportResult
from samenhier.models import Municipality, Variant, WelcomeGroup
from samenhier.scope import Filters, visible_groups


def language_switch(*, logged_in: bool) -> None:
    """Nederlands / English, bound to the session's language and kept (see :func:`samenhier.ui.apply_language`):
    logged in, a radio whose choice is stored as the account's language; before the login under ``serve.py``,
    a plain form posting to the language route, which keeps the choice in an HttpOnly cookie (a script cannot
    set a cookie) and reloads the page in that language; without the routes (AppTest), the radio."""
    from samenhier import web

    if web.MOUNTED and not logged_in:
        _language_form()
        return
    st.radio(
        "Taal / Language",
        i18n.LANGUAGES,
        key=ui.LANG_KEY,
        horizontal=True,
        on_change=ui.language_chosen,
        format_func=i18n.LANGUAGE_NAMES.get,
    )


def _language_form() -> None:
    # No JavaScript (st.html's default): two submit buttons of one form; only constant texts and the escaped
    # path go into the markup. The current language's button is marked and disabled.
    from html import escape

    from samenhier.ui_login import current_path
    from samenhier.web import LANGUAGE_PATH

    current = ui.current_language()
    buttons = "".join(
        f'<button type="submit" name="ui_language" value="{code}"'
        f"{' disabled aria-pressed=true' if code == current else ''}>{escape(name)}</button>"
        for code, name in i18n.LANGUAGE_NAMES.items()
    )
    st.html(f"""
<form method="post" action="{LANGUAGE_PATH}" class="sh-lang" aria-label="Taal / Language">
  <span>Taal / Language</span>
  <input type="hidden" name="next" value="{escape(current_path())}">
  <div>{buttons}</div>
</form>
<style>
.sh-lang {{ display: flex; flex-direction: column; gap: .35rem; font-size: .875rem; }}
.sh-lang div {{ display: flex; gap: .5rem; }}
.sh-lang button {{ font: inherit; padding: .25rem .75rem; border: 1px solid rgba(49, 51, 63, .3); border-radius: .5rem;
  background: transparent; cursor: pointer; }}
.sh-lang button[disabled] {{ color: #fff; background: #2a9d8f; border-color: #2a9d8f; cursor: default; }}
</style>""")


@ui.cached
def _filter_options(engine: Engine, scope) -> list[str]:
    with engine.connect() as c:
        return list(
            c.execute(
                select(Municipality.name)
                .join(WelcomeGroup, WelcomeGroup.municipality_id == Municipality.id)
                .where(WelcomeGroup.id.in_(visible_groups(scope)))
                .distinct()
                .order_by(Municipality.name)
            ).scalars()
        )


def sidebar_filters(engine: Engine) -> Filters:
    """The global filters (municipality, variant) that every page honours; kept in the session. The municipality
    filter follows :attr:`samenhier.scope.Scope.municipality_filter`: a choice, one named municipality, or none."""
    scope = ui.require_scope()
    st.subheader(ui.t("filters.title"))
    municipalities: list[str] = []
    if scope.municipality_filter == "fixed":
        st.caption(ui.t("filters.municipality_fixed", municipality=ui.md(scope.municipalities[0])))
    elif scope.municipality_filter == "choice":
        # select_all=False: Streamlit's "Select all" option is English only (and an empty filter already means all)
        municipalities = st.multiselect(
            ui.t("filters.municipality"),
            _filter_options(scope),
            key="filter_municipalities",
            placeholder=ui.t("filters.all"),
            select_all=False,
        )
    variants = st.multiselect(
        ui.t("filters.variant"),
        [v.value for v in Variant],
        key="filter_variants",
        format_func=lambda v: i18n.label("variant", v),
        placeholder=ui.t("filters.all"),
        select_all=False,
    )
    filters = Filters(municipalities=tuple(municipalities), variants=tuple(variants))
    st.session_state[ui.FILTERS_KEY] = filters
    return filters


PAGE_SIZE = 100
"""Rows per page of a long table: enough to scan, small enough that a rerun sends kilobytes, not megabytes."""


def paginate(frame: pd.DataFrame, *, key: str, page_size: int = PAGE_SIZE) -> pd.DataFrame:
    """The rows of ``frame`` on the page the user chose, with a page chooser and a "rows x–y of n" caption.

    A frame of at most ``page_size`` rows comes back whole, without a chooser. The browser only ever
    gets one page of a long table (at national scale a table of every group is 5,000 rows). Keep the
    frame's order meaningful (the most urgent rows first): page 1 is what most users look at. The page
    number lives in ``st.session_state[key]``; it is clamped when the frame got shorter (a filter changed).
    """
    total = len(frame)
    pages = max(1, -(-total // page_size))
    if pages == 1:
        return frame
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = pages
    left, right = st.columns([1, 4], vertical_alignment="bottom")
    page = left.number_input(
        ui.t("pager.page", pages=formatting.format_number(pages, ui.current_language())),
        min_value=1,
        max_value=pages,
        step=1,
        key=key,
    )
    first = (int(page) - 1) * page_size
    last = min(first + page_size, total)
    lang = ui.current_language()
    right.caption(
        ui.t(
            "pager.rows",
            first=formatting.format_number(first + 1, lang),
            last=formatting.format_number(last, lang),
            total=formatting.format_number(total, lang),
        )
    )
    return frame.iloc[first:last]


def issues_frame(failed: ImportFailed) -> pd.DataFrame:
    """The problems of a refused import as a table (sheet, row, column, value, problem) in the session's language."""
    lang = ui.current_language()
    return pd.DataFrame(
        [(i.sheet, i.row, i.column or "", i.value, i.message(lang)) for i in failed.issues],
        columns=[
            ui.t("import.col.sheet"),
            ui.t("import.col.row"),
            ui.t("import.col.column"),
            ui.t("import.col.value"),
            ui.t("import.col.problem"),
        ],
    )


PREVIEW_CHANGES = 200
"""Field changes shown on screen in an import preview; all of them are in its .xlsx download."""


def _import_preview(result: ImportResult, *, key: str) -> None:
    """Per sheet new / changed / unchanged (and conflicts), then every field the workbook changes (before → after,
    conflicts marked: the first :data:`PREVIEW_CHANGES` on screen, all as .xlsx) and the records it no longer lists."""
    from samenhier.io.export import XLSX_MIME, xlsx_bytes

    frame = result.as_frame()
    frame.columns = [
        ui.t("import.col.sheet"),
        ui.t("import.col.new"),
        ui.t("import.col.changed"),
        ui.t("import.col.unchanged"),
        ui.t("import.col.conflicts"),
    ]
    st.dataframe(frame, hide_index=True, placeholder=formatting.EMPTY)
    changes = result.changes_frame(ui.current_language())
    if not changes.empty:
        shown = changes.copy()
        applied_text = {True: ui.t("import.applied.yes"), False: ui.t("import.applied.no")}
        shown["applied"] = shown["applied"].map(applied_text)
        shown.columns = [
            ui.t("import.col.sheet"),
            ui.t("import.col.row"),
            ui.t("import.col.record"),
            ui.t("import.col.column"),
            ui.t("import.col.before"),
            ui.t("import.col.after"),
            ui.t("import.col.conflict"),
            ui.t("import.col.applied"),
        ]
        st.subheader(ui.t("import.changes.title"))
        st.caption(ui.t("import.changes.caption", shown=min(len(shown), PREVIEW_CHANGES), total=len(shown)))
        st.dataframe(
            shown.head(PREVIEW_CHANGES), hide_index=True, width="stretch", placeholder=formatting.EMPTY
        )
        st.download_button(
            ui.t("import.changes.download"),
            data=lambda: xlsx_bytes({"wijzigingen": shown}),
            file_name=f"import-wijzigingen-{ui.as_of().isoformat()}.xlsx",
            mime=XLSX_MIME,
            key=f"{key}_changes_xlsx",
            on_click="ignore",
            icon=":material/download:",
        )
    if result.missing:
        with st.expander(ui.t("import.missing.title", n=len(result.missing))):
            st.caption(ui.t("import.missing.caption"))
            st.dataframe(
                pd.DataFrame(
                    [(m.sheet, m.record) for m in result.missing],
                    columns=[ui.t("import.col.sheet"), ui.t("import.col.record")],
                ),
                hide_index=True,
            )


def _import_refused(failed: ImportFailed) -> None:
    st.error(ui.t("import.refused", n=len(failed.issues)))
    st.dataframe(issues_frame(failed), hide_index=True, width="stretch", placeholder=formatting.EMPTY)


def _saved_uploads(uploads, folder: str) -> list[Path]:
    paths = []
    for number, upload in enumerate(uploads):  # a folder per upload: two files may share a name
        path = Path(folder) / str(number) / Path(upload.name).name
        path.parent.mkdir()
        path.write_bytes(upload.getvalue())
        paths.append(path)
    return paths


def _import_done(done: ImportResult, *, key: str) -> None:
    """What the import did: counts, conflicts kept or taken, the backup made before it, a link to its audit event."""
    st.success(
        ui.t("import.done", new=sum(s.new for s in done.sheets), changed=sum(s.changed for s in done.sheets))
    )
    if done.conflicts:
        st.info(ui.t(f"import.done.conflicts.{done.on_conflict}", n=len(done.conflicts)))
    if done.backup is not None:
        st.caption(ui.t("import.done.backup", file=ui.md(done.backup.name)))
    if done.audit_id is not None:
        st.page_link(
            "views/audit.py",
            label=ui.t("import.done.audit"),
            icon=":material/history:",
            query_params={"event": str(done.audit_id)},
        )
    _import_preview(done, key=f"{key}_done")


def import_outcome(key: str) -> None:
    """Show, once, the summary of the import just made by :func:`workbook_import` ``(key=key)`` — the same as
    Gegevens shows. For a page where the importing widget may be gone after the import: the first-run
    onboarding on Overzicht disappears once the store has groups."""
    done = st.session_state.pop(f"{key}_done", None)
    if done is not None:
        _import_done(done, key=key)


def workbook_import(engine: Engine, *, key: str = "import") -> None:
    """Upload a workbook (.xlsx), CSV files named like its sheets, or a .zip of them (several files at once);
    show per sheet what would change (new / changed / unchanged, every field before → after, conflicts with
    edits made in the app since the last import) or every problem with sheet, row and column; on confirmation
    import all or nothing (:func:`samenhier.services.data.import_files`) with the chosen conflict rule
    ("app wint", the default, or "werkboek wint").

    The check runs once per set of files and choice (kept in the session while the same files stay in the
    uploader), not on every rerun of the page; the confirmed import checks everything again.
    After a successful import the app reruns with an empty uploader and the result on top.
    """
    from samenhier.services.data import import_files

    scope = ui.require_scope()
    round_key, done_key, preview_key = f"{key}_round", f"{key}_done", f"{key}_preview"
    done = st.session_state.pop(done_key, None)
    if done is not None:
        _import_done(done, key=key)
    uploads = st.file_uploader(
        ui.t("import.upload"),
        type=["xlsx", "csv", "zip"],
        accept_multiple_files=True,
        key=f"{key}_files_{st.session_state.get(round_key, 0)}",
    )
    if not uploads:
        st.session_state.pop(preview_key, None)
        return
    on_conflict = st.session_state.get(f"{key}_on_conflict", "keep-app")
    signature = (tuple((u.name, hashlib.sha256(u.getvalue()).hexdigest()) for u in uploads), on_conflict)
    known = st.session_state.get(preview_key)
    if known is None or known[0] != signature:
        with tempfile.TemporaryDirectory() as folder:
            try:
                outcome = import_files(
                    engine,
                    scope,
                    paths=_saved_uploads(uploads, folder),
                    dry_run=True,
                    on_conflict=on_conflict,
                )
            except ImportFailed as failed:
                outcome = failed
        st.session_state[preview_key] = known = (signature, outcome)
    preview = known[1]
    if not isinstance(preview, ImportFailed) and preview.conflicts or on_conflict != "keep-app":
        st.radio(
            ui.t("import.on_conflict"),
            ("keep-app", "take-workbook"),
            key=f"{key}_on_conflict",
            horizontal=True,
            format_func=lambda choice: ui.t(f"import.on_conflict.{choice}"),
            captions=[
                ui.t("import.on_conflict.keep-app.help"),
                ui.t("import.on_conflict.take-workbook.help"),
            ],
        )
    if isinstance(preview, ImportFailed):
        _import_refused(preview)
        return
    if not any(s.new or s.changed for s in preview.sheets):
        st.info(ui.t("import.nothing_changes"))
        _import_preview(preview, key=key)
        return
    st.info(ui.t("import.preview"))
    _import_preview(preview, key=key)
    if not st.button(ui.t("import.confirm"), type="primary", key=f"{key}_confirm"):
        return
    with tempfile.TemporaryDirectory() as folder:
        try:
            result = import_files(
                engine, scope, paths=_saved_uploads(uploads, folder), dry_run=False, on_conflict=on_conflict
            )
        except ImportFailed as failed:  # the store changed since the preview
            st.session_state.pop(preview_key, None)
            _import_refused(failed)
            return
    st.session_state.pop(preview_key, None)
    st.session_state[done_key] = result
    st.session_state[round_key] = st.session_state.get(round_key, 0) + 1  # a fresh, empty uploader
    st.rerun()


def download_buttons(frame: pd.DataFrame, name: str) -> None:
    """Buttons to download ``frame`` (what the page shows, with the column names it shows) as an Excel
    workbook and as a CSV file for Dutch Excel (``;``, UTF-8 with BOM), formula-like text neutralised
    (:mod:`samenhier.io.export`). The file is made only when a button is clicked. ``name`` names the
    file (``<name>-<peildatum>.xlsx``), the sheet and the buttons' keys, so it must be unique on the page.
    """
    from samenhier.io.export import CSV_MIME, XLSX_MIME, csv_bytes, xlsx_bytes

    snapshot = frame.copy()
    stem = f"{name}-{ui.as_of().isoformat()}"
    left, right, _ = st.columns([1, 1, 6])
    left.download_button(
        ui.t("download.xlsx"),
        data=lambda: xlsx_bytes({name: snapshot}),
        file_name=f"{stem}.xlsx",
        mime=XLSX_MIME,
        key=f"download_{name}_xlsx",
        on_click="ignore",
        icon=":material/download:",
        help=ui.t("download.help"),
    )
    right.download_button(
        ui.t("download.csv"),
        data=lambda: csv_bytes(snapshot),
        file_name=f"{stem}.csv",
        mime=CSV_MIME,
        key=f"download_{name}_csv",
        on_click="ignore",
        icon=":material/download:",
        help=ui.t("download.help"),
    )


ONBOARDING_IMPORT = "onboarding_import"
"""The key of the first-run import (see :func:`import_outcome`)."""


def onboarding(engine: Engine) -> None:
    """First steps in an empty store: import a workbook, load demo data, or start empty."""
    st.subheader(ui.t("onboarding.title"))
    st.write(ui.t("onboarding.intro"))
    tab_import, tab_demo, tab_empty = st.tabs(
        [ui.t("onboarding.import"), ui.t("onboarding.demo"), ui.t("onboarding.empty")]
    )
    with tab_import:
        workbook_import(engine, key=ONBOARDING_IMPORT)
    with tab_demo:
        st.write(ui.t("onboarding.demo_text"))
        if st.button(ui.t("onboarding.demo_button"), key="onboarding_demo", type="primary"):
            from samenhier.demo import load_demo

            scope = ui.require_scope()
            scope.require_national()
            load_demo(engine, ui.as_of(), username=scope.username)
            st.rerun()
    with tab_empty:
        st.write(ui.t("onboarding.empty_text"))


def _setup_refused(reason: str) -> None:
    from samenhier.services.users import MIN_PASSWORD_LENGTH

    key = f"setup.{reason}" if reason in ("mismatch", "already_done") else f"user.error.{reason}"
    if ui.t(key) == key:  # not a known reason (the address was edited)
        key = "setup.failed"
    st.error(ui.t(key, n=MIN_PASSWORD_LENGTH))


def _cookie_setup_form() -> None:
    # Like the login form: a plain HTML form (no JavaScript) posting to the setup route, which makes the account,
    # sets the HttpOnly session cookie and sends the browser back here (now logged in). A refusal comes back as
    # ?setup=<reason>&username=…; only constant texts and escaped values go into the markup.
    from html import escape

    from samenhier.services.users import MIN_PASSWORD_LENGTH
    from samenhier.web import SETUP_ERROR_PARAM, SETUP_PATH

    refused = st.query_params.get(SETUP_ERROR_PARAM)
    username = st.query_params.get("username", "")
    if refused:
        _setup_refused(refused)
    st.html(f"""
<form method="post" action="{SETUP_PATH}" class="sh-login" autocomplete="off">
  <label for="sh-setup-user">{escape(ui.t("login.username"))}</label>
  <input id="sh-setup-user" name="username" autocomplete="username" required autofocus maxlength="200" value="{escape(username)}">
  <label for="sh-setup-password">{escape(ui.t("login.password"))}</label>
  <input id="sh-setup-password" name="password" type="password" autocomplete="new-password" required maxlength="1000"
         aria-describedby="sh-setup-help">
  <small id="sh-setup-help">{escape(ui.t("setup.password_help", n=MIN_PASSWORD_LENGTH))}</small>
  <label for="sh-setup-repeat">{escape(ui.t("setup.repeat"))}</label>
  <input id="sh-setup-repeat" name="repeat" type="password" autocomplete="new-password" required maxlength="1000">
  <input type="hidden" name="next" value="/">
  <input type="hidden" name="ui_language" value="{escape(ui.current_language())}">
  <button type="submit">{escape(ui.t("setup.submit"))}</button>
</form>
<style>
.sh-login {{ display: flex; flex-direction: column; gap: .35rem; max-width: 28rem; }}
.sh-login label {{ font-size: .875rem; margin-top: .5rem; }}
.sh-login small {{ font-size: .8rem; opacity: .75; }}
.sh-login input {{ font: inherit; padding: .5rem .75rem; border: 1px solid rgba(49, 51, 63, .2); border-radius: .5rem; }}
.sh-login button {{ font: inherit; margin-top: 1rem; align-self: flex-start; padding: .4rem 1rem; color: #fff;
  background: #2a9d8f; border: 1px solid #2a9d8f; border-radius: .5rem; cursor: pointer; }}
</style>""")


def _tab_setup_form() -> None:
    from samenhier.models import UserRole
    from samenhier.services.users import MIN_PASSWORD_LENGTH, UserError, count_users, create_user

    with st.form("setup"):
        username = st.text_input(ui.t("login.username"), key="setup_username")
        password = st.text_input(
            ui.t("login.password"),
            type="password",
            key="setup_password",
            help=ui.t("setup.password_help", n=MIN_PASSWORD_LENGTH),
        )
        repeat = st.text_input(ui.t("setup.repeat"), type="password", key="setup_repeat")
        submitted = st.form_submit_button(ui.t("setup.submit"), type="primary")
    if not submitted:
        return
    engine = ui.engine()
    if password != repeat:
        _setup_refused("mismatch")
    elif count_users(engine):  # someone else finished the setup in the meantime
        _setup_refused("already_done")
    else:
        try:
            ui.login(
                create_user(
                    engine,
                    username,
                    password,
                    UserRole.COORDINATOR,
                    actor="setup",
                    language=ui.current_language(),
                )
            )
        except UserError as exc:
            _setup_refused(f"{exc.field}.{exc.code}")
        else:
            st.rerun()


def setup_form() -> None:
    """The first coordinator account: name, password twice. Under ``serve.py`` it posts to the setup route
    (the account, its session and the HttpOnly cookie in one request, so a reload keeps the login), else the
    session lives in this tab (AppTest)."""
    from samenhier import web

    if web.MOUNTED:
        _cookie_setup_form()
    else:
        _tab_setup_form()
