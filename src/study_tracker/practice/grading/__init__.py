"""Grading typed answers against key points: one interface (``base``), two graders (``offline``,
``llm``), the choice between them (``factory``), grading files and agreement figures (``evaluate``).
"""
