"""The Textual app (`app.py`), its screens and widgets; nothing here imports torch."""
