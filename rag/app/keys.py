"""Keyboard use of the chat, as a script for the page's ``<head>`` (gradio is not imported here).

In the question box Enter sends and Shift+Enter starts a new line (Gradio's multi-line box
does the opposite), and Esc empties the box. The listener runs in the capture phase on
the document, so it decides before Gradio's own handler on the box.
"""

from __future__ import annotations

import json

QUESTION = "#question textarea"
ASK = "#ask-button"


def keyboard_script() -> str:
    """A ``<script>``: Enter sends, Shift+Enter new line, Esc clears, in the question box."""
    return f"""<script>
document.addEventListener("keydown", (e) => {{
  const box = e.target;
  if (!(box instanceof HTMLTextAreaElement) || !box.matches({json.dumps(QUESTION)}) || e.isComposing) return;
  if (e.key === "Enter" && !e.shiftKey) {{
    e.preventDefault(); e.stopPropagation();
    document.querySelector({json.dumps(ASK)})?.click();
  }} else if (e.key === "Enter") {{
    e.stopPropagation();  // the browser inserts the new line; Gradio would send
  }} else if (e.key === "Escape") {{
    e.preventDefault(); e.stopPropagation();
    box.value = ""; box.dispatchEvent(new Event("input", {{bubbles: true}}));
  }}
}}, true);
// Gradio's box sends on Shift+Enter (a keypress listener); only the new line may happen.
document.addEventListener("keypress", (e) => {{
  if (e.key === "Enter" && e.shiftKey && e.target instanceof HTMLTextAreaElement
      && e.target.matches({json.dumps(QUESTION)})) e.stopPropagation();
}}, true);
</script>"""
