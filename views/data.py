"""Data (coordinators only): import with preview, export in the import layout, backup and restore."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from samenhier import actions, backup, formatting, i18n, ui
from samenhier.io.export import FORMATS, XLSX_MIME, ZIP_MIME
from samenhier.io.template import template_bytes
from samenhier.services import data as data_service
from samenhier.widgets import workbook_import

scope = ui.require_scope()
if not scope.is_coordinator:
    ui.denied()
engine = ui.engine()
lang = ui.current_language()

st.title(ui.t("data.title"))
tabs = actions.tabs(
    "data",
    {"import": ui.t("data.tab.import"), "export": ui.t("data.tab.export"), "backup": ui.t("data.tab.backup")},
)

if tabs["import"].open:  # only the open tab runs
    with tabs["import"]:
        st.write(ui.t("data.import.intro"))
        st.download_button(
            ui.t("data.template.download"),
            help=ui.t("data.template.help"),
            icon=":material/table_view:",
            data=lambda: template_bytes(lang),
            file_name=f"samenhier-{ui.t('data.template.file')}.xlsx",
            mime=XLSX_MIME,
            key="data_template_download",
            on_click="ignore",
        )
        if scope.is_national:
            workbook_import(engine, key="data_import")
        else:
            st.info(ui.t("data.national_only"))


def export_tab() -> None:
    st.write(ui.t("data.export.intro"))
    filters = ui.current_filters()
    chosen = [*filters.municipalities, *(i18n.label("variant", v) for v in filters.variants)]
    if chosen:
        st.caption(ui.t("data.export.scope_filtered", filters=ui.md(", ".join(chosen))))
    elif scope.municipalities:  # a municipality coordinator exports their municipalities, never "all groups"
        st.caption(
            ui.t(
                "data.export.scope_municipalities",
                municipalities=ui.md(", ".join(scope.municipalities)),
                n=len(scope.municipalities),
            )
        )
    else:
        st.caption(ui.t("data.export.scope_all"))
    fmt = st.radio(
        ui.t("data.export.format"),
        FORMATS,
        format_func=lambda f: ui.t(f"data.export.format.{f}"),
        key="data_export_format",
    )
    extension = "xlsx" if fmt == "xlsx" else "zip"
    st.download_button(
        ui.t("data.export.download"),
        type="primary",
        icon=":material/download:",
        key="data_export_download",
        on_click="ignore",
        # made (and audited) only when clicked
        data=lambda fmt=fmt, filters=filters: data_service.export_store(
            engine, scope, fmt=fmt, filters=filters
        ),
        file_name=f"samenhier-export-{ui.as_of().isoformat()}.{extension}",
        mime=XLSX_MIME if fmt == "xlsx" else ZIP_MIME,
    )


if tabs["export"].open:
    with tabs["export"]:
        export_tab()
if not tabs["backup"].open:
    st.stop()  # the backup tab is the page's last part
with tabs["backup"]:
    if not scope.is_national:
        st.info(ui.t("data.national_only"))
        st.stop()  # the last tab: nothing after it is skipped
    try:
        folder = backup.backup_dir(engine, ui.settings().backup_dir)
    except backup.BackupError as exc:
        st.info(ui.md(exc.message(lang)))
        st.stop()
    st.write(ui.t("data.backup.intro", folder=ui.md(folder)))
    keep = ui.settings().backup_keep
    st.caption(ui.t("data.backup.auto", keep=keep) if keep > 0 else ui.t("data.backup.auto_off"))

    if st.button(ui.t("data.backup.make"), icon=":material/save:", key="data_backup_make"):
        try:
            st.session_state["data_backup_made"] = str(data_service.backup_now(engine, scope, folder=folder))
        except backup.BackupError as exc:
            st.error(ui.t("data.backup.failed", reason=ui.md(exc.message(lang))))
    made = st.session_state.get("data_backup_made")
    if made and Path(made).is_file():
        st.success(ui.t("data.backup.made", file=ui.md(Path(made).name)))
        st.download_button(
            ui.t("data.backup.download"),
            data=lambda made=made: Path(made).read_bytes(),
            file_name=Path(made).name,
            mime="application/vnd.sqlite3",
            key="data_backup_download",
            on_click="ignore",
            icon=":material/download:",
        )

    st.subheader(ui.t("data.backup.list"))
    backups = backup.list_backups(folder)
    if backups.empty:
        st.write(ui.t("data.backup.none"))
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "file": backups["file"],
                    "kind": backups["kind"].map(lambda k: i18n.label("backup_kind", k) if k else ""),
                    "created": backups["created"],
                    "size": backups["size_bytes"] / 1_000_000,
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "file": ui.t("data.backup.col.file"),
                "kind": ui.t("data.backup.col.kind"),
                "created": st.column_config.DatetimeColumn(
                    ui.t("data.backup.col.created"), format=formatting.datetime_input_format(lang)
                ),
                "size": st.column_config.NumberColumn(ui.t("data.backup.col.size"), format="%.1f"),
            },
            placeholder=formatting.EMPTY,
        )

    st.subheader(ui.t("data.restore.title"))
    st.write(ui.t("data.restore.intro"))
    restored = st.session_state.pop("data_restore_done", None)
    if restored:
        st.success(ui.t("data.restore.done", file=ui.md(restored[0]), safety=ui.md(restored[1])))
    restore_round = st.session_state.get("data_restore_round", 0)
    choice = st.selectbox(
        ui.t("data.restore.source"),
        list(backups["file"]),
        index=None,
        placeholder=ui.t("data.restore.choose"),
        key=f"data_restore_choice_{restore_round}",
    )
    upload = st.file_uploader(
        ui.t("data.restore.upload"),
        type=["db", "sqlite", "sqlite3"],
        key=f"data_restore_upload_{restore_round}",
    )
    with tempfile.TemporaryDirectory() as scratch:
        source = None
        if upload is not None:
            source = Path(scratch) / Path(upload.name).name
            source.write_bytes(upload.getvalue())
        elif choice:
            source = folder / choice
        if source is not None:
            try:
                info = data_service.check_restore(engine, scope, source=source)
            except backup.BackupError as exc:
                st.error(ui.t("data.restore.refused", reason=ui.md(exc.message(lang))))
            else:
                st.success(
                    ui.t(
                        "data.restore.checked",
                        revision=ui.md(info.revision),
                        **{k: formatting.format_number(v, lang) for k, v in info.counts.items()},
                    )
                )
                if not info.up_to_date:
                    st.info(ui.t("data.restore.older"))
                if (
                    info.accounts
                ):  # restoring replaces the accounts too: say which, before anything is replaced
                    st.warning(
                        ui.t("data.restore.accounts", n=len(info.accounts))
                        + "\n\n"
                        + "\n".join("- " + change.describe(lang, escape=ui.md) for change in info.accounts)
                    )
                sure = st.checkbox(
                    ui.t("data.restore.sure_accounts") if info.accounts else ui.t("data.restore.sure"),
                    key=f"data_restore_sure_{restore_round}",
                )
                if st.button(
                    ui.t("data.restore.confirm"),
                    type="primary",
                    disabled=not sure,
                    key=f"data_restore_confirm_{restore_round}",
                ):
                    try:
                        result = data_service.restore(
                            engine, scope, source=source, safety_dir=folder, confirmed_accounts=info.accounts
                        )
                    except backup.BackupError as exc:
                        st.error(ui.t("data.restore.refused", reason=ui.md(exc.message(lang))))
                    else:
                        st.session_state["data_restore_done"] = (source.name, result.safety_copy.name)
                        st.session_state["data_restore_round"] = (
                            restore_round + 1
                        )  # fresh choice, upload and checkbox
                        st.rerun()
