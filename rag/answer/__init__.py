"""Stage 5, answers.

Cited extractive answers (``compose``) and their HTML, Markdown and CSV views (``render``).
"""
