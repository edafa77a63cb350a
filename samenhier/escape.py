"""The one escape helper for user text shown by an element that interprets markup (issue 21.3).

Names, notes, languages, user names, file names — anything a person typed or a file brought in — pass
through :func:`user_text` before they reach

- Streamlit's Markdown (``st.markdown``, ``st.write``, ``st.caption``, ``st.header``, ``st.success``, …,
  and widget labels): every Markdown and HTML special character is backslash-escaped, and so are ``:``
  (autolinks such as ``http://2130706433:8765/``, ``mailto:``, emoji short codes and Streamlit's
  ``:red[…]`` / ``:material/…:`` directives), ``@`` (e-mail autolinks), ``&`` (character references)
  and ``=`` (a setext heading underline). A link, image or autolink in user text shows as typed and
  loads nothing;
- Plotly's HTML subset (axis and hover labels: ``<a href>``, ``<b>``, ``<br>``, …): ``&``, ``<`` and
  ``>`` become character references, which Plotly shows as text.

No Streamlit here: charts use it too. :func:`samenhier.ui.md` is the Markdown form for pages.
"""

from __future__ import annotations

from typing import Any

MARKDOWN = "markdown"
PLOTLY = "plotly"

_MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:@&="})
_PLOTLY_SPECIALS = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def user_text(value: Any, target: str = MARKDOWN) -> str:
    """``value`` (None → empty) as inert text for ``target``: ``markdown`` (default) or ``plotly``.

    Raises:
        ValueError: unknown ``target``.
    """
    text = "" if value is None else str(value)
    if target == MARKDOWN:
        return text.translate(_MARKDOWN_SPECIALS)
    if target == PLOTLY:
        return text.translate(_PLOTLY_SPECIALS)
    raise ValueError(f"unknown target {target!r}")
