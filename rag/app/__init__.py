"""The web app (gradio, extra ``[app]``): ``ui`` builds the page, ``server`` starts it safely."""
